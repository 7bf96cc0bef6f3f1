// limit/continue paging. Tokens look like a real server's (base64 JSON with the list's resourceVersion
// and the key to start from) plus the page number, which fault rules match on.
import { badRequest } from './status.js';
import type { StoredEntry } from './store.js';

export interface ContinueToken {
  /** The resourceVersion of the first page; every page reports it. */
  rv: number;
  /** List from this key on (the last key served plus "\u0000"). */
  start: string;
  /** The page this token fetches (the first page has no token, so 2 and up). */
  page: number;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start, page: token.page })).toString('base64');
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Record<string, unknown>;
    if (raw.v === 'meta.k8s.io/v1' && typeof raw.rv === 'number' && typeof raw.start === 'string' && typeof raw.page === 'number') {
      return { rv: raw.rv, start: raw.start, page: raw.page };
    }
  } catch {
    // Reported below, as a real server does.
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** The page a list request asks for: 1 without a continue token, undefined when the token is invalid. */
export function pageOf(continueParam: string | null): number | undefined {
  if (!continueParam) return 1;
  try {
    return decodeContinue(continueParam).page;
  } catch {
    return undefined;
  }
}

export interface Page {
  items: readonly StoredEntry[];
  /** Set when more items follow. */
  continue?: string;
  remainingItemCount?: number;
}

/** One page of `entries` (sorted by key) from the token's start, at most `limit` long (0 = no limit). */
export function paginate(entries: readonly StoredEntry[], limit: number, token: ContinueToken | undefined, revision: number): Page {
  let from = 0;
  if (token) {
    let hi = entries.length;
    while (from < hi) {
      const mid = (from + hi) >>> 1;
      if ((entries[mid] as StoredEntry).key < token.start) from = mid + 1;
      else hi = mid;
    }
  }
  if (limit <= 0 || from + limit >= entries.length) return { items: entries.slice(from) };
  const items = entries.slice(from, from + limit);
  const last = items[items.length - 1] as StoredEntry;
  return {
    items,
    continue: encodeContinue({ rv: token?.rv ?? revision, start: `${last.key}\u0000`, page: (token?.page ?? 1) + 1 }),
    remainingItemCount: entries.length - from - limit,
  };
}

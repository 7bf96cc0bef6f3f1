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
  /** Items after this page; only without a selector (as a real server). */
  remainingItemCount?: number;
}

/** A run of a sorted entry array: what one list request reads (one namespace's, or a whole type's). */
export interface EntryRange {
  /** Sorted by key. */
  entries: readonly StoredEntry[];
  from: number;
  /** Exclusive. */
  to: number;
}

/** The first index in [from, to) whose key is not less than `key` (binary search). */
export function lowerBound(entries: readonly StoredEntry[], key: string, from = 0, to = entries.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as StoredEntry).key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of a range from the token's start key, at most `limit` long (0 = no limit), keeping only what
 * `matches` selects. Finding the start is a binary search and the page a slice, so a request costs
 * O(log N + page) without a selector; with one, it scans from the start to the page's last match and on
 * to the next one (to know whether more follow).
 */
export function paginate(
  range: EntryRange,
  limit: number,
  token: ContinueToken | undefined,
  revision: number,
  matches?: (entry: StoredEntry) => boolean,
): Page {
  const { entries, to } = range;
  const from = token ? lowerBound(entries, token.start, range.from, to) : range.from;
  let items: StoredEntry[];
  let more: boolean;
  let end = to;
  if (!matches) {
    end = limit > 0 ? Math.min(to, from + limit) : to;
    items = entries.slice(from, end);
    more = end < to;
  } else {
    items = [];
    let i = from;
    for (; i < to && (limit <= 0 || items.length < limit); i++) {
      const entry = entries[i] as StoredEntry;
      if (matches(entry)) items.push(entry);
    }
    more = false;
    for (; i < to && !more; i++) more = matches(entries[i] as StoredEntry);
  }
  const last = items[items.length - 1];
  if (!more || !last) return { items };
  return {
    items,
    continue: encodeContinue({ rv: token?.rv ?? revision, start: `${last.key}\u0000`, page: (token?.page ?? 1) + 1 }),
    ...(matches ? {} : { remainingItemCount: to - end }),
  };
}

// -o json / -o yaml. Large JSON documents are written piece by piece: one array (the pods) is
// streamed item by item instead of building the whole text at once; the bytes are those of
// JSON.stringify(value, null, 2).
import yaml from 'js-yaml';
import { cached } from '../engine/bounded-cache.js';

export function renderStructured(value: unknown, format: 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  return yaml.dump(value, { noRefs: true, lineWidth: -1, sortKeys: false });
}

const PLACEHOLDER = '\u0000streamed\u0000';
const MARKER = JSON.stringify(PLACEHOLDER);

export interface StreamingOptions {
  /**
   * Members of the streamed items whose values are shared between items (one object for the replicas
   * of a workload): each such object is stringified once and its text reused, by identity. Only name
   * members that hold shared objects: every object seen there keeps its text for the whole run.
   */
  sharedMembers?: readonly string[];
}

/** Writes `value` as pretty JSON, streaming the top-level array property `key`. */
export function writeJsonStreaming(value: Record<string, unknown>, key: string, write: (chunk: string) => void, options: StreamingOptions = {}): void {
  const items = value[key];
  if (!Array.isArray(items) || items.length === 0) {
    write(renderStructured(value, 'json'));
    return;
  }
  const text = JSON.stringify({ ...value, [key]: PLACEHOLDER }, null, 2);
  const at = text.indexOf(MARKER);
  write(`${text.slice(0, at)}[\n`);
  // BATCH items at a time, each item written member by member at its depth in the document.
  const item = new ItemWriter(new Set(options.sharedMembers ?? []));
  for (let from = 0; from < items.length; from += BATCH) {
    const end = Math.min(from + BATCH, items.length);
    let out = '';
    for (let i = from; i < end; i++) out += `${item.text(items[i])}${i + 1 < items.length ? ',' : ''}\n`;
    write(out);
  }
  write(`  ]${text.slice(at + MARKER.length)}\n`);
}

/** Items of the streamed array (depth 2: indented 4 spaces, their members 6), with shared members' text cached. */
class ItemWriter {
  private readonly cache = new WeakMap<object, string>();
  /** `      "key": ` by key (items of one array have a handful of keys; a bounded memo all the same). */
  private readonly prefixes = new Map<string, string>();

  constructor(private readonly shared: ReadonlySet<string>) {}

  text(item: unknown): string {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return `    ${indented(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item, '\n    ')}`;
    const members = item as Record<string, unknown>;
    let out = '';
    for (const k of Object.keys(members)) {
      const v = members[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue; // as JSON.stringify omits them
      let t: string | undefined;
      if (v === null || typeof v !== 'object') t = JSON.stringify(v); // one line
      else {
        const cacheable = this.shared.has(k);
        t = cacheable ? this.cache.get(v) : undefined;
        if (t === undefined) {
          t = indented(v, '\n      ');
          if (cacheable) this.cache.set(v, t);
        }
      }
      out += `${out ? ',\n' : ''}${this.prefix(k)}${t}`;
    }
    return out ? `    {\n${out}\n    }` : '    {}';
  }

  private prefix(key: string): string {
    return cached(this.prefixes, key, MAX_PREFIXES, () => `      ${JSON.stringify(key)}: `);
  }
}

const MAX_PREFIXES = 64;

/** JSON.stringify(v, null, 2) at a depth of the document: its line breaks followed by `newline`'s indentation. */
function indented(v: unknown, newline: string): string {
  const t = JSON.stringify(v, null, 2);
  return t.includes('\n') ? t.replaceAll('\n', newline) : t;
}

/**
 * Items per write. The text of a batch is a rope of its items' pieces until it is written: at 500 items
 * (about 400 KB) the ropes that outlive a scavenge raised the peak RSS of a 100,000-pod status by about
 * 15 MB; at 100 they do not (9 alternating runs each).
 */
const BATCH = 100;

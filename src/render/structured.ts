// -o json / -o yaml. Large JSON documents are written piece by piece: one array (the pods) is
// streamed item by item instead of building the whole text at once; the bytes are those of
// JSON.stringify(value, null, 2).
import yaml from 'js-yaml';

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
  // 500 items at a time, each item written member by member at its depth in the document.
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

  constructor(private readonly shared: ReadonlySet<string>) {}

  text(item: unknown): string {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return `    ${indented(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item, '\n    ')}`;
    let out = '';
    for (const [k, v] of Object.entries(item)) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue; // as JSON.stringify omits them
      const cacheable = v !== null && typeof v === 'object' && this.shared.has(k);
      let t = cacheable ? this.cache.get(v) : undefined;
      if (t === undefined) {
        t = indented(v, '\n      ');
        if (cacheable) this.cache.set(v, t);
      }
      out += `${out ? ',\n' : ''}      ${JSON.stringify(k)}: ${t}`;
    }
    return out ? `    {\n${out}\n    }` : '    {}';
  }
}

/** JSON.stringify(v, null, 2) at a depth of the document: its line breaks followed by `newline`'s indentation. */
function indented(v: unknown, newline: string): string {
  const t = JSON.stringify(v, null, 2);
  return t.includes('\n') ? t.replaceAll('\n', newline) : t;
}

const BATCH = 500;

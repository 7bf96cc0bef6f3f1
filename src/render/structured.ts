// -o json / -o yaml. Large JSON documents are written piece by piece: one array (the pods) is
// streamed item by item, as bytes, instead of building the whole text at once; the bytes are those of
// JSON.stringify(value, null, 2).
import yaml from 'js-yaml';
import { cached } from '../engine/bounded-cache.js';

export function renderStructured(value: unknown, format: 'json' | 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  return yaml.dump(value, { noRefs: true, lineWidth: -1, sortKeys: false });
}

const PLACEHOLDER = '\u0000streamed\u0000';
const MARKER = JSON.stringify(PLACEHOLDER);

/** Where streamed JSON goes: UTF-8 bytes, in order (process.stdout, say). */
export interface ByteSink {
  write(chunk: Uint8Array): unknown;
  /**
   * A stream's bytes not yet handed on: 0 right after a write means the chunk was written through
   * (stdout to a file or, on Linux, a pipe or terminal), so its buffer can take the next batch.
   */
  readonly writableLength?: number;
}

export interface StreamingOptions {
  /**
   * Members of the streamed items whose values are shared between items (one object for the replicas
   * of a workload): each such object is encoded once and its bytes reused, by identity. Only name
   * members that hold shared objects: every object seen there keeps its bytes for the whole run.
   */
  sharedMembers?: readonly string[];
  /** The value's indentation in an enclosing document, put after each of its line breaks (default none). */
  indent?: string;
  /** Written after the value (default a line break). */
  end?: string;
}

/**
 * Writes `value` as pretty JSON (the bytes of JSON.stringify(value, null, 2), re-indented by `indent`),
 * streaming the top-level array property `key`: its items are encoded one by one into batches of bytes,
 * never into one string (100,000 pods are 100 MB of JSON; as strings, joining and UTF-8 encoding them
 * cost more than writing them).
 */
export function writeJsonStreaming(value: Record<string, unknown>, key: string, sink: ByteSink, options: StreamingOptions = {}): void {
  const indent = options.indent ?? '';
  const end = options.end ?? '\n';
  const out = new ByteBatch(sink);
  const items = value[key];
  if (!Array.isArray(items) || items.length === 0) {
    out.text(`${reindented(value, indent)}${end}`);
    out.flush();
    return;
  }
  const text = reindented({ ...value, [key]: PLACEHOLDER }, indent);
  const at = text.indexOf(MARKER);
  out.text(`${text.slice(0, at)}[\n`);
  const item = new ItemWriter(new Set(options.sharedMembers ?? []), `${indent}    `, out);
  for (let i = 0; i < items.length; i++) {
    item.write(items[i]);
    out.text(i + 1 < items.length ? ',\n' : '\n');
    if (out.length >= BATCH_BYTES) out.flush();
  }
  out.text(`${indent}  ]${text.slice(at + MARKER.length)}${end}`);
  out.flush();
}

/** Items of the streamed array at indentation `indent` (their members 2 more), shared members' bytes cached. */
class ItemWriter {
  private readonly cache = new WeakMap<object, Buffer>();
  /** `<indent>  "key": ` by key (items of one array have a handful of keys; a bounded memo all the same). */
  private readonly prefixes = new Map<string, Buffer>();
  private readonly open: Buffer;
  private readonly close: Buffer;
  private readonly memberNewline: string;

  constructor(
    private readonly shared: ReadonlySet<string>,
    private readonly indent: string,
    private readonly out: ByteBatch,
  ) {
    this.open = Buffer.from(`${indent}{\n`);
    this.close = Buffer.from(`\n${indent}}`);
    this.memberNewline = `\n${indent}  `;
  }

  write(item: unknown): void {
    const out = this.out;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      out.text(`${this.indent}${indented(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item, `\n${this.indent}`)}`);
      return;
    }
    const members = item as Record<string, unknown>;
    let written = 0;
    for (const k of Object.keys(members)) {
      const v = members[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue; // as JSON.stringify omits them
      out.bytes(written++ === 0 ? this.open : COMMA_NEWLINE);
      out.bytes(this.prefix(k));
      if (v === null || typeof v !== 'object') out.text(JSON.stringify(v)); // one line
      else if (Array.isArray(v) && v.length === 0) out.bytes(EMPTY_ARRAY); // most pods' findings
      else if (!this.shared.has(k)) out.text(indented(v, this.memberNewline));
      else {
        let bytes = this.cache.get(v);
        if (bytes === undefined) this.cache.set(v, (bytes = Buffer.from(indented(v, this.memberNewline))));
        out.bytes(bytes);
      }
    }
    if (written === 0) out.text(`${this.indent}{}`);
    else out.bytes(this.close);
  }

  private prefix(key: string): Buffer {
    return cached(this.prefixes, key, MAX_PREFIXES, () => Buffer.from(`${this.indent}  ${JSON.stringify(key)}: `));
  }
}

const COMMA_NEWLINE = Buffer.from(',\n');
const EMPTY_ARRAY = Buffer.from('[]');
const MAX_PREFIXES = 64;

/** JSON.stringify(v, null, 2) at a depth of the document: its line breaks followed by `newline`'s indentation. */
function indented(v: unknown, newline: string): string {
  const t = JSON.stringify(v, null, 2);
  return t.includes('\n') ? t.replaceAll('\n', newline) : t;
}

/** JSON.stringify(v, null, 2), every line after the first indented by `indent`. */
function reindented(v: unknown, indent: string): string {
  return indent ? indented(v, `\n${indent}`) : JSON.stringify(v, null, 2);
}

/**
 * Bytes per write. A batch is one buffer, handed to the sink when full; the next batch reuses it only
 * when the sink says it has written it through (ByteSink.writableLength), else it is a fresh one (the
 * sink may hold on to it).
 */
const BATCH_BYTES = 64 * 1024;
/** Room past a full batch for the item that fills it (a larger one grows its batch). */
const ITEM_ROOM = 16 * 1024;

/** Bytes being gathered for one write. */
class ByteBatch {
  private buffer = Buffer.allocUnsafe(BATCH_BYTES + ITEM_ROOM);
  length = 0;

  constructor(private readonly sink: ByteSink) {}

  bytes(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  text(s: string): void {
    this.reserve(s.length * 3); // the most UTF-8 bytes a UTF-16 string can need
    this.length += this.buffer.write(s, this.length);
  }

  flush(): void {
    if (this.length === 0) return;
    this.sink.write(this.buffer.subarray(0, this.length));
    if (this.sink.writableLength !== 0 || this.buffer.length > BATCH_BYTES + ITEM_ROOM) this.buffer = Buffer.allocUnsafe(BATCH_BYTES + ITEM_ROOM);
    this.length = 0;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

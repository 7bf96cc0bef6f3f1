// Splits a Kubernetes list response into its items while it arrives, without ever holding the page as
// one string. A 500-pod page is ~3 MB of JSON: as one string it lands in V8's large-object space (old
// generation) and stays there until a full GC, and parsing it whole builds an object graph larger than
// the young generation. Fed chunk by chunk, each item becomes its own small string, is parsed and
// dropped while still young, and the page never exists in one piece.
//
// The scan works on bytes: every character it looks at (quotes, backslashes, braces, brackets, colons)
// is ASCII, and no byte of a multi-byte UTF-8 character is, so chunk boundaries may fall anywhere.
// Strings are skipped with Buffer.indexOf, so the cost is a few ms per page.

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

export class ListSplitter {
  private depth = 0;
  private inString = false;
  /** Inside a string, the previous chunk ended on an unpaired backslash: the next byte is escaped. */
  private escaped = false;
  /** Where the items array is: before it, inside it, or past it. */
  private phase: 'head' | 'items' | 'tail' = 'head';
  /** The last top-level string and the key it made (the array after `"items":` holds the items). */
  private topString: Buffer[] | null = null;
  private lastTopString = '';
  private key = '';
  /** The list without its items, piece by piece (kind, apiVersion, metadata, "items":[]). */
  private readonly head: Buffer[] = [];
  /** The pieces of the item in progress, when it started in an earlier chunk. */
  private item: Buffer[] = [];
  private inItem = false;

  constructor(private readonly onItem: (json: string) => void) {}

  /** Feeds the next chunk; complete items are handed to `onItem` before this returns. */
  push(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    let headFrom = this.phase === 'items' ? -1 : 0;
    let itemFrom = this.inItem ? 0 : -1;
    let stringFrom = this.inString ? 0 : -1;
    while (i < n) {
      if (this.inString) {
        const end = this.stringEnd(chunk, i);
        if (end < 0) break;
        this.inString = false;
        if (this.topString) {
          this.topString.push(chunk.subarray(stringFrom, end));
          this.lastTopString = Buffer.concat(this.topString).toString('utf8');
          this.topString = null;
        }
        i = end + 1;
        continue;
      }
      const c = chunk[i]!;
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1) {
          this.topString = [];
          stringFrom = i + 1;
        }
        i++;
        continue;
      }
      if (c === COLON) {
        if (this.depth === 1) this.key = this.lastTopString;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.depth++;
        if (this.depth === 2 && c === OPEN_BRACKET && this.phase === 'head' && this.key === 'items') {
          this.phase = 'items';
          this.head.push(chunk.subarray(headFrom, i + 1));
          headFrom = -1;
        } else if (this.depth === 3 && c === OPEN_BRACE && this.phase === 'items') {
          this.inItem = true;
          itemFrom = i;
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 3 && this.inItem && c === CLOSE_BRACE) {
          this.emit(chunk, itemFrom, i + 1);
          itemFrom = -1;
        } else if (this.depth === 2 && this.phase === 'items' && c === CLOSE_BRACKET) {
          this.phase = 'tail';
          headFrom = i;
        }
        this.depth--;
        if (this.depth < 0) throw new SyntaxError('unbalanced JSON in list response');
      }
      i++;
    }
    if (headFrom >= 0 && headFrom < n) this.head.push(chunk.subarray(headFrom));
    if (this.inItem && itemFrom >= 0) this.item.push(chunk.subarray(itemFrom));
    if (this.inString && this.topString && stringFrom >= 0) this.topString.push(chunk.subarray(stringFrom));
  }

  /** The list without its items (items: []); throws SyntaxError when the document is incomplete. */
  end(): Record<string, unknown> {
    if (this.inString || this.depth !== 0 || this.inItem) throw new SyntaxError('unexpected end of list response');
    return JSON.parse(Buffer.concat(this.head).toString('utf8')) as Record<string, unknown>;
  }

  /**
   * Inside a string from `from`: the index of its closing quote in this chunk, or -1 when the string
   * goes on into the next chunk.
   */
  private stringEnd(chunk: Buffer, from: number): number {
    let p = from;
    if (this.escaped) {
      this.escaped = false;
      p++;
    }
    for (;;) {
      const q = chunk.indexOf(QUOTE, p);
      const stop = q < 0 ? chunk.length : q;
      let backslashes = 0;
      for (let j = stop - 1; j >= p && chunk[j] === BACKSLASH; j--) backslashes++;
      if (q < 0) {
        this.escaped = backslashes % 2 === 1;
        return -1;
      }
      if (backslashes % 2 === 0) return q;
      p = q + 1;
      if (p >= chunk.length) return -1;
    }
  }

  private emit(chunk: Buffer, from: number, to: number): void {
    let json: string;
    if (this.item.length === 0) json = chunk.toString('utf8', from, to);
    else {
      this.item.push(chunk.subarray(from, to));
      json = Buffer.concat(this.item).toString('utf8');
      this.item = [];
    }
    this.inItem = false;
    this.onItem(json);
  }
}

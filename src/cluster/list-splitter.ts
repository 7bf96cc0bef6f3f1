// Splits a Kubernetes list response into its items while it arrives, without ever holding the page as
// one string. A 500-pod page is ~3 MB of JSON: as one string it lands in V8's large-object space (old
// generation) and stays there until a full GC, and parsing it whole builds an object graph larger than
// the young generation. Fed chunk by chunk, each item becomes its own small string, is parsed and
// dropped while still young, and the page never exists in one piece.
//
// With a projection, an item is cut down while it is scanned: only the members the projection names
// are copied into the item's text (a pod's metadata and containers, not its managedFields, status,
// env or volumes), so JSON.parse sees a tenth of the bytes and builds a tenth of the objects. The
// scan has to look at every byte anyway, to find where items end.
//
// Chunks are decoded as UTF-8 with a StringDecoder (a character cut by a chunk boundary is held until
// its last byte arrives); every character the scan looks at (quotes, backslashes, brackets, braces,
// colons, commas) is ASCII, and strings are skipped with String.prototype.indexOf.
//
// The list's head (kind, apiVersion, metadata) comes before its items in what API servers send; it is
// handed to `onHead` as soon as the items start, so a caller can ask for the next page (metadata.continue)
// while this one is still arriving.
import { StringDecoder } from 'node:string_decoder';

/**
 * What of an item to keep: `true` keeps a value whole; an object keeps only the members it names, each
 * with its own projection (applied to every element when the value is an array); KeepKeys keeps the
 * members whose key it accepts, whole. A value that is not an object or array is kept whole whatever
 * its projection.
 */
export type Projection = true | KeepKeys | { readonly [key: string]: Projection };

/** Members kept by their key (annotations: only those a record reads). */
export class KeepKeys {
  constructor(readonly keep: (key: string) => boolean) {}
}

export interface SplitterOptions {
  /** Default `true`: items are handed over whole. */
  projection?: Projection;
  /** Called once with the list without its items (`items: []`), as soon as the items array starts. */
  onHead?: (head: Record<string, unknown>) => void;
}

/**
 * A projection as arrays: a key is looked up by comparing it in place with the few keys of its object
 * (no string is cut out of the chunk for it, and no hash computed), and written back as `"key":`.
 */
type Node = true | Members;
interface Members {
  keys: string[];
  /** `"key":` for each key. */
  prefixes: string[];
  nodes: Node[];
  /** KeepKeys: every member it accepts is member 0 (kept whole). */
  filter: ((key: string) => boolean) | null;
}

const compiled = new WeakMap<object, Members>();
function compile(projection: Projection): Node {
  if (projection === true) return true;
  let node = compiled.get(projection);
  if (!node) {
    if (projection instanceof KeepKeys) node = { keys: [], prefixes: [], nodes: [true], filter: projection.keep };
    else {
      const entries = Object.entries(projection);
      node = { keys: entries.map(([k]) => k), prefixes: entries.map(([k]) => `${JSON.stringify(k)}:`), nodes: entries.map(([, v]) => compile(v)), filter: null };
    }
    compiled.set(projection, node);
  }
  return node;
}

/** The index of `key` among the members, or -1. */
function memberIndex(members: Members, key: string): number {
  if (members.filter) return members.filter(key) ? 0 : -1;
  return members.keys.indexOf(key);
}

/** The index of the key written from `from` to `to` in `s` (no escapes in it), or -1. */
function memberIndexAt(members: Members, s: string, from: number, to: number): number {
  if (members.filter) return members.filter(s.slice(from, to)) ? 0 : -1;
  const keys = members.keys;
  const length = to - from;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length === length && s.startsWith(key, from)) return k;
  }
  return -1;
}

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

// What an object or array being projected expects next.
const EXPECT_KEY = 0; // after `{` or `,` in an object: a key or (right after `{`) the end
const EXPECT_COLON = 1;
const EXPECT_VALUE = 2; // after `:`, or after `[` or `,` in an array
const AFTER_VALUE = 3; // `,` or the end

interface Frame {
  /** The members to keep (an object), or the projection of each element (an array). */
  node: Members;
  array: boolean;
  state: number;
  /** Members or elements written to the output so far (a comma goes before the next). */
  written: number;
  /** The current member: its index in `node`, -1 when it is not kept. */
  member: number;
  /** Its key, when `node` keeps members by key (KeepKeys) and the key is not in the chunk's text. */
  key: string;
  /** Where the current member's key starts (its quote) in chunk number `keyChunk`; -1: not in the text. */
  keyStart: number;
  keyChunk: number;
}

export class ListSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private readonly root: Node;
  private readonly onHead: ((head: Record<string, unknown>) => void) | undefined;

  // The list itself (outside items).
  private depth = 0;
  private inString = false;
  /** Inside a string, the previous chunk ended on an unpaired backslash: the next character is escaped. */
  private escaped = false;
  /** Where the items array is: before it, inside it, or past it. */
  private phase: 'head' | 'items' | 'tail' = 'head';
  /** The last top-level string and the key it made (the array after `"items":` holds the items). */
  private topString: string[] | null = null;
  private lastTopString = '';
  private key = '';
  /** The list without its items, piece by piece (kind, apiVersion, metadata, "items":[]). */
  private readonly head: string[] = [];

  // The item in progress.
  private inItem = false;
  private frames: Frame[] = [];
  /** In a value copied (rawKeep) or passed over whole; its open brackets; whether it has started. */
  private inRaw = false;
  private rawKeep = false;
  private rawDepth = 0;
  private rawStarted = false;
  /** A key of a projected object, when it goes on into the next chunk. */
  private keyPieces: string[] | null = null;
  /**
   * The item's text: finished pieces, and the run of the current chunk being copied (kept members
   * next to each other in the response become one slice).
   */
  private out: string[] = [];
  private runFrom = -1;
  private runTo = -1;
  /** The current chunk's text, and how many chunks came so far. */
  private text = '';
  private chunks = 0;

  constructor(
    private readonly onItem: (json: string) => void,
    options: SplitterOptions = {},
  ) {
    this.root = compile(options.projection ?? true);
    this.onHead = options.onHead;
  }

  /** The items array has started: the head is complete (and was handed to `onHead`). */
  get headDone(): boolean {
    return this.phase !== 'head';
  }

  /** Feeds the next chunk; complete items are handed to `onItem` before this returns. */
  push(chunk: Buffer): void {
    const s = this.decoder.write(chunk);
    this.text = s;
    this.chunks++;
    const n = s.length;
    let i = 0;
    let headFrom = this.phase === 'items' ? -1 : 0;
    let stringFrom = this.inString && this.topString ? 0 : -1;
    let keyFrom = this.keyPieces ? 0 : -1;
    /** Where the kept value in progress starts in this chunk. */
    let rawFrom = this.inRaw && this.rawKeep ? 0 : -1;
    /** The next backslash in the chunk at or after the last key looked at (keys without one are compared in place). */
    let backslashAt = -1;
    scan: while (i < n) {
      if (this.inItem) {
        // A value copied or passed over whole.
        if (this.inRaw) {
          const end = this.rawEnd(s, i);
          if (end < 0) break;
          this.inRaw = false;
          if (this.rawKeep) this.keep(rawFrom, end);
          rawFrom = -1;
          i = end;
          if (this.frames.length === 0) this.emit();
          continue;
        }
        // A member's key that began in an earlier chunk (or has escapes).
        if (this.keyPieces) {
          const end = this.stringEnd(s, i);
          if (end < 0) break;
          this.keyPieces.push(s.slice(keyFrom, end));
          const rawKey = this.keyPieces.length === 1 ? this.keyPieces[0]! : this.keyPieces.join('');
          const frame = this.frames[this.frames.length - 1]!;
          const key = rawKey.includes('\\') ? (JSON.parse(`"${rawKey}"`) as string) : rawKey;
          frame.member = memberIndex(frame.node, key);
          frame.key = key;
          frame.keyStart = -1;
          frame.state = EXPECT_COLON;
          this.keyPieces = null;
          this.inString = false;
          keyFrom = -1;
          i = end + 1;
          continue;
        }
        const c = s.charCodeAt(i);
        if (isSpace(c)) {
          i++;
          continue;
        }
        const frame = this.frames[this.frames.length - 1]!;
        switch (frame.state) {
          case EXPECT_KEY:
            if (c === QUOTE) {
              // Most keys are short and plain: their closing quote is in this chunk, no backslash in them.
              const q = s.indexOf('"', i + 1);
              if (backslashAt <= i) {
                backslashAt = s.indexOf('\\', i + 1);
                if (backslashAt < 0) backslashAt = n;
              }
              if (q > 0 && backslashAt > q) {
                const member = memberIndexAt(frame.node, s, i + 1, q);
                if (member < 0 && s.charCodeAt(q + 1) === COLON) {
                  // Not kept, and compact: its value is passed over right away.
                  frame.state = AFTER_VALUE;
                  this.startRaw(false);
                  const end = this.rawEnd(s, q + 2);
                  if (end < 0) break scan;
                  this.inRaw = false;
                  i = end;
                  continue;
                }
                frame.member = member;
                if (frame.node.filter) frame.key = s.slice(i + 1, q);
                frame.keyStart = i;
                frame.keyChunk = this.chunks;
                frame.state = EXPECT_COLON;
                i = q + 1;
                continue;
              }
              this.keyPieces = [];
              this.inString = true;
              keyFrom = i + 1;
              i++;
            } else if (c === CLOSE_BRACE) i = this.close(i);
            else throw new SyntaxError('unexpected character in list response');
            continue;
          case EXPECT_COLON:
            if (c !== COLON) throw new SyntaxError('unexpected character in list response');
            frame.state = EXPECT_VALUE;
            i++;
            continue;
          case EXPECT_VALUE: {
            if (frame.array && c === CLOSE_BRACKET) {
              i = this.close(i);
              continue;
            }
            frame.state = AFTER_VALUE;
            if (!frame.array && frame.member < 0) {
              this.startRaw(false);
              continue;
            }
            const node: Node = frame.array ? frame.node : frame.node.nodes[frame.member]!;
            if (node === true || (c !== OPEN_BRACE && c !== OPEN_BRACKET)) {
              this.keepMember(frame, i, i);
              this.startRaw(true);
              rawFrom = i;
              continue;
            }
            this.keepMember(frame, i, i + 1);
            this.frames.push({ node, array: c === OPEN_BRACKET, state: c === OPEN_BRACKET ? EXPECT_VALUE : EXPECT_KEY, written: 0, member: -1, key: '', keyStart: -1, keyChunk: 0 });
            i++;
            continue;
          }
          default: // AFTER_VALUE
            if (c === COMMA) frame.state = frame.array ? EXPECT_VALUE : EXPECT_KEY;
            else if (c === (frame.array ? CLOSE_BRACKET : CLOSE_BRACE)) {
              i = this.close(i);
              continue;
            } else throw new SyntaxError('unexpected character in list response');
            i++;
            continue;
        }
      }

      // The list around the items.
      if (this.inString) {
        const end = this.stringEnd(s, i);
        if (end < 0) break;
        this.inString = false;
        if (this.topString) {
          this.topString.push(s.slice(stringFrom, end));
          this.lastTopString = this.topString.join('');
          this.topString = null;
          stringFrom = -1;
        }
        i = end + 1;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1) {
          this.topString = [];
          stringFrom = i + 1;
        }
      } else if (c === COLON) {
        if (this.depth === 1) this.key = this.lastTopString;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.depth === 2 && c === OPEN_BRACE && this.phase === 'items') {
          // An item starts: its text is copied whole, or projected member by member.
          this.inItem = true;
          if (this.root === true) {
            this.startRaw(true);
            rawFrom = i;
            continue;
          }
          this.keep(i, i + 1);
          this.frames.push({ node: this.root, array: false, state: EXPECT_KEY, written: 0, member: -1, key: '', keyStart: -1, keyChunk: 0 });
          i++;
          continue;
        }
        this.depth++;
        if (this.depth === 2 && c === OPEN_BRACKET && this.phase === 'head' && this.key === 'items') {
          this.phase = 'items';
          this.head.push(s.slice(headFrom, i + 1));
          headFrom = -1;
          this.announceHead();
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth === 2 && this.phase === 'items' && c === CLOSE_BRACKET) {
          this.phase = 'tail';
          headFrom = i;
        }
        this.depth--;
        if (this.depth < 0) throw new SyntaxError('unbalanced JSON in list response');
      }
      i++;
    }
    if (rawFrom >= 0 && rawFrom < n) this.keep(rawFrom, n);
    this.flush();
    if (headFrom >= 0 && headFrom < n) this.head.push(s.slice(headFrom));
    if (keyFrom >= 0 && keyFrom < n) this.keyPieces!.push(s.slice(keyFrom));
    if (this.inString && this.topString && stringFrom >= 0) this.topString.push(s.slice(stringFrom));
  }

  /** The list without its items (items: []); throws SyntaxError when the document is incomplete. */
  end(): Record<string, unknown> {
    // Bytes of a character cut off at the very end: the document is cut off too.
    if (this.decoder.end() !== '' || this.inString || this.depth !== 0 || this.inItem) throw new SyntaxError('unexpected end of list response');
    return JSON.parse(this.head.join('')) as Record<string, unknown>;
  }

  private announceHead(): void {
    if (!this.onHead) return;
    let head: Record<string, unknown>;
    try {
      head = JSON.parse(`${this.head.join('')}]}`) as Record<string, unknown>;
    } catch {
      return; // end() reports a broken document.
    }
    this.onHead(head);
  }

  private startRaw(keep: boolean): void {
    this.inRaw = true;
    this.rawKeep = keep;
    this.rawDepth = 0;
    this.rawStarted = false;
  }

  /**
   * Writes what comes before a kept member's value (or element): the comma, the key, and up to `to`
   * (the value's start, or past its opening bracket). Copied from the response where it can be.
   */
  private keepMember(frame: Frame, valueAt: number, to: number): void {
    const comma = frame.written++ > 0;
    const start = frame.array ? valueAt : frame.keyChunk === this.chunks ? frame.keyStart : -1;
    if (start >= 0) {
      if (comma && start > 0 && this.text.charCodeAt(start - 1) === COMMA) this.keep(start - 1, to);
      else {
        if (comma) this.write(',');
        this.keep(start, to);
      }
      return;
    }
    if (comma) this.write(',');
    this.write(frame.node.filter ? `${JSON.stringify(frame.key)}:` : frame.node.prefixes[frame.member]!);
    this.keep(valueAt, to);
  }

  /** Closes the innermost projected object or array at `i`; returns where to go on. */
  private close(i: number): number {
    this.frames.pop();
    this.keep(i, i + 1);
    if (this.frames.length === 0) this.emit();
    return i + 1;
  }

  /** Adds text of the current chunk, from `from` to `to`, to the item. */
  private keep(from: number, to: number): void {
    if (this.runFrom >= 0 && this.runTo === from) {
      this.runTo = to;
      return;
    }
    this.flush();
    this.runFrom = from;
    this.runTo = to;
  }

  /** Adds text of its own to the item. */
  private write(text: string): void {
    this.flush();
    this.out.push(text);
  }

  private flush(): void {
    if (this.runFrom < 0) return;
    if (this.runTo > this.runFrom) this.out.push(this.text.slice(this.runFrom, this.runTo));
    this.runFrom = -1;
  }

  /**
   * Where the value that starts (or goes on) at `from` ends: the index after its last character, or
   * -1 when it goes on into the next chunk. A number, true, false or null ends before the `,`, `}`,
   * `]` or space that follows it.
   */
  private rawEnd(s: string, from: number): number {
    const n = s.length;
    let i = from;
    let depth = this.rawDepth;
    if (this.inString) {
      const end = this.stringEnd(s, i);
      if (end < 0) return -1;
      this.inString = false;
      i = end + 1;
      if (depth === 0) return i;
    }
    let started = this.rawStarted;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) {
        // Most strings end at the next quote (no backslash before it).
        const q = s.indexOf('"', i + 1);
        if (q > 0 && s.charCodeAt(q - 1) !== BACKSLASH) {
          i = q + 1;
          if (depth === 0) return i;
          continue;
        }
        const end = this.stringEnd(s, i + 1);
        if (end < 0) {
          this.inString = true;
          this.rawDepth = depth;
          this.rawStarted = true;
          return -1;
        }
        i = end + 1;
        if (depth === 0) return i;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        i++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 0) {
          // The end of a number or literal: the bracket is the container's.
          if (!started) throw new SyntaxError('unexpected character in list response');
          return i;
        }
        i++;
        if (--depth === 0) {
          this.rawDepth = 0;
          return i;
        }
      } else if (depth === 0 && (c === COMMA || isSpace(c))) {
        if (started) return i;
        if (c === COMMA) throw new SyntaxError('unexpected character in list response');
        i++;
      } else {
        started = true;
        i++;
      }
    }
    this.rawDepth = depth;
    this.rawStarted = started;
    return -1;
  }

  /**
   * Inside a string from `from`: the index of its closing quote in this chunk, or -1 when the string
   * goes on into the next chunk.
   */
  private stringEnd(s: string, from: number): number {
    let p = from;
    if (this.escaped) {
      this.escaped = false;
      p++;
    }
    for (;;) {
      const q = s.indexOf('"', p);
      const stop = q < 0 ? s.length : q;
      let backslashes = 0;
      for (let j = stop - 1; j >= p && s.charCodeAt(j) === BACKSLASH; j--) backslashes++;
      if (q < 0) {
        this.escaped = backslashes % 2 === 1;
        return -1;
      }
      if (backslashes % 2 === 0) return q;
      p = q + 1;
      if (p >= s.length) return -1;
    }
  }

  private emit(): void {
    this.flush();
    const json = this.out.length === 1 ? this.out[0]! : this.out.join('');
    this.out = [];
    this.inItem = false;
    this.onItem(json);
  }
}

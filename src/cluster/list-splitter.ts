// Splits a Kubernetes list response into its items without parsing the whole page at once. Parsing a
// 500-pod page in one JSON.parse builds an object graph larger than V8's young generation, so it is
// promoted and lingers until a full GC; parsed item by item, each pod's objects die young. The scan
// only looks at structure (strings are skipped with indexOf), so it costs a few ms per page.

export interface SplitList {
  /** The list without its items (kind, apiVersion, metadata with `continue`). */
  head: Record<string, unknown>;
  /** The JSON text of each item. */
  items: string[];
}

const QUOTE = 34; // "
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COLON = 58;

/** Index just past the string starting at `start` (a quote). */
function skipString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) throw new SyntaxError('unterminated string in list response');
    let backslashes = 0;
    for (let j = q - 1; j >= start + 1 && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/** Splits `{"...":..., "items":[{...},{...}], ...}`; anything else is parsed whole (items: []). */
export function splitList(text: string): SplitList {
  let depth = 0;
  let lastString = '';
  let key: string | null = null;
  let itemsStart = -1;
  let itemsEnd = -1;
  let itemStart = -1;
  const items: string[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (depth === 1) lastString = text.slice(i + 1, end - 1);
      i = end;
      continue;
    }
    if (c === COLON && depth === 1) key = lastString;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 2 && c === OPEN_BRACKET && key === 'items' && itemsStart < 0) itemsStart = i;
      else if (depth === 3 && itemsStart >= 0 && itemsEnd < 0 && c === OPEN_BRACE) itemStart = i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 3 && itemStart >= 0 && c === CLOSE_BRACE) {
        items.push(text.slice(itemStart, i + 1));
        itemStart = -1;
      } else if (depth === 2 && itemsStart >= 0 && itemsEnd < 0 && c === CLOSE_BRACKET) itemsEnd = i;
      depth--;
    }
    i++;
  }
  if (itemsStart < 0 || itemsEnd < 0) return { head: JSON.parse(text) as Record<string, unknown>, items: [] };
  const head = JSON.parse(`${text.slice(0, itemsStart)}[]${text.slice(itemsEnd + 1)}`) as Record<string, unknown>;
  return { head, items };
}

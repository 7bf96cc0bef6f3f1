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

/** Writes `value` as pretty JSON, streaming the top-level array property `key`. */
export function writeJsonStreaming(value: Record<string, unknown>, key: string, write: (chunk: string) => void): void {
  const items = value[key];
  if (!Array.isArray(items) || items.length === 0) {
    write(renderStructured(value, 'json'));
    return;
  }
  const text = JSON.stringify({ ...value, [key]: PLACEHOLDER }, null, 2);
  const at = text.indexOf(MARKER);
  write(`${text.slice(0, at)}[\n`);
  // 500 items at a time, stringified as the array of a one-member object: at the depth they have in the
  // document, so the text is theirs without re-indenting (one native call, not one per item and a regex).
  for (let from = 0; from < items.length; from += BATCH) {
    const batch = JSON.stringify({ [key]: items.slice(from, from + BATCH) }, null, 2);
    const last = from + BATCH >= items.length;
    write(`${batch.slice(WRAPPER_HEAD.length + JSON.stringify(key).length, batch.length - WRAPPER_TAIL.length)}${last ? '' : ','}\n`);
  }
  write(`  ]${text.slice(at + MARKER.length)}\n`);
}

const BATCH = 500;
/** `{"key":[...]}` stringified with 2-space indentation: `{\n  "key": [\n` + the items + `\n  ]\n}`. */
const WRAPPER_HEAD = '{\n  : [\n';
const WRAPPER_TAIL = '\n  ]\n}';

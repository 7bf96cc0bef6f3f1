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
  const batch: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const json = JSON.stringify(items[i], null, 2).replace(/\n/g, '\n    ');
    batch.push(`    ${json}${i < items.length - 1 ? ',' : ''}`);
    if (batch.length === 500) {
      write(`${batch.join('\n')}\n`);
      batch.length = 0;
    }
  }
  if (batch.length) write(`${batch.join('\n')}\n`);
  write(`  ]${text.slice(at + MARKER.length)}\n`);
}

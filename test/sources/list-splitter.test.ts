import { describe, expect, it } from 'vitest';
import { ListSplitter } from '../../src/cluster/list-splitter.js';

/** Feeds a whole document to a splitter, `chunkSize` bytes at a time; its head and the items' text. */
function splitList(text: string | Buffer, chunkSize = Infinity): { head: Record<string, unknown>; items: string[] } {
  const items: string[] = [];
  const splitter = new ListSplitter((json) => items.push(json));
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const step = Math.max(1, Math.min(chunkSize, bytes.length || 1));
  for (let at = 0; at < bytes.length; at += step) splitter.push(bytes.subarray(at, at + step));
  return { head: splitter.end(), items };
}

const LISTS = [
  { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7', continue: 'abc' }, items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b', labels: { x: '}{]["' } } }] },
  { kind: 'List', items: [] },
  { items: [{ s: 'quote \\" and backslash \\\\', nested: { items: [{ deep: [1, { a: '"' }] }] } }], metadata: { continue: '' } },
  { kind: 'X', metadata: {}, items: [{ a: 1 }], after: { items: ['not', 'these'] } },
  // Runs of backslashes before quotes, escaped quotes at every position, multi-byte UTF-8 everywhere.
  {
    metadata: { continue: 'tök\\"en' },
    items: [
      { annotations: { 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"]}' } },
      { s: '\\', t: '\\\\', u: '\\\\\\"', v: '"\\"\\\\"' },
      { name: 'ünïcødé ✓ 漢字 🚀', labels: { '}': '{', ']': '[' } },
    ],
  },
];

function without(list: Record<string, unknown>): Record<string, unknown> {
  const { items: _items, ...rest } = list;
  void _items;
  return { ...rest, items: [] };
}

describe('splitList', () => {
  it.each(LISTS.map((l) => [l]))('splits %j into its head and items', (list) => {
    const { head, items } = splitList(JSON.stringify(list));
    expect(items.map((t) => JSON.parse(t))).toEqual(list.items);
    expect(head).toEqual(without(list));
  });

  it('gives the same items and head whatever the chunk boundaries (every size from 1 byte)', () => {
    for (const list of LISTS) {
      for (const text of [JSON.stringify(list), JSON.stringify(list, null, 2)]) {
        const bytes = Buffer.from(text, 'utf8');
        for (let size = 1; size <= Math.min(bytes.length, 64); size++) {
          const { head, items } = splitList(bytes, size);
          expect(items.map((t) => JSON.parse(t)), `chunk size ${size}`).toEqual(list.items);
          expect(head, `chunk size ${size}`).toEqual(without(list));
        }
      }
    }
  });

  it('hands each item over as soon as its closing brace arrives', () => {
    const seen: string[] = [];
    const splitter = new ListSplitter((json) => seen.push(json));
    splitter.push(Buffer.from('{"kind":"PodList","items":[{"a":1},{"b":'));
    expect(seen).toEqual(['{"a":1}']);
    splitter.push(Buffer.from('2}'));
    expect(seen).toEqual(['{"a":1}', '{"b":2}']);
    splitter.push(Buffer.from(']}'));
    expect(splitter.end()).toEqual({ kind: 'PodList', items: [] });
  });

  it('handles pretty-printed JSON and unicode', () => {
    const list = { metadata: { continue: 'tok' }, items: [{ name: 'ünïcødé ✓' }, { name: 'b' }] };
    const { head, items } = splitList(JSON.stringify(list, null, 2));
    expect(items.map((t) => JSON.parse(t))).toEqual(list.items);
    expect(head.metadata).toEqual({ continue: 'tok' });
  });

  it('parses a document without items whole, and rejects broken or cut-off JSON', () => {
    expect(splitList('{"kind":"Status","code":404}')).toEqual({ head: { kind: 'Status', code: 404 }, items: [] });
    expect(() => splitList('{"items":[{"a":"unterminated')).toThrow(SyntaxError);
    expect(() => splitList('{"items":[{"a":1}')).toThrow(SyntaxError);
    expect(() => splitList('{"items":[]}}')).toThrow(SyntaxError);
  });
});

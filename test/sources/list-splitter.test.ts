import { describe, expect, it } from 'vitest';
import { splitList } from '../../src/cluster/list-splitter.js';

describe('splitList', () => {
  it.each([
    [{ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7', continue: 'abc' }, items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b', labels: { x: '}{]["' } } }] }],
    [{ kind: 'List', items: [] }],
    [{ items: [{ s: 'quote \\" and backslash \\\\', nested: { items: [{ deep: [1, { a: '"' }] }] } }], metadata: { continue: '' } }],
    [{ kind: 'X', metadata: {}, items: [{ a: 1 }], after: { items: ['not', 'these'] } }],
  ])('splits %j into its head and items', (list) => {
    const { head, items } = splitList(JSON.stringify(list));
    expect(items.map((t) => JSON.parse(t))).toEqual(list.items);
    const { items: _items, ...rest } = list as { items: unknown[] };
    void _items;
    expect(head).toEqual({ ...rest, items: [] });
  });

  it('handles pretty-printed JSON and unicode', () => {
    const list = { metadata: { continue: 'tok' }, items: [{ name: 'ünïcødé ✓' }, { name: 'b' }] };
    const { head, items } = splitList(JSON.stringify(list, null, 2));
    expect(items.map((t) => JSON.parse(t))).toEqual(list.items);
    expect(head.metadata).toEqual({ continue: 'tok' });
  });

  it('parses a document without items whole, and rejects broken JSON', () => {
    expect(splitList('{"kind":"Status","code":404}')).toEqual({ head: { kind: 'Status', code: 404 }, items: [] });
    expect(() => splitList('{"items":[{"a":"unterminated')).toThrow();
  });
});

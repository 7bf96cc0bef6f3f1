import { describe, expect, it } from 'vitest';
import { KeepKeys, ListSplitter, type Projection } from '../../src/cluster/list-splitter.js';

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

  it('headDone: once the items array starts, when onHead has the head', () => {
    const heads: unknown[] = [];
    const splitter = new ListSplitter(() => undefined, { onHead: (h) => heads.push(h) });
    splitter.push(Buffer.from('{"kind":"PodList","metadata":{"continue":"t"},"ite'));
    expect(splitter.headDone).toBe(false);
    expect(heads).toEqual([]);
    splitter.push(Buffer.from('ms":[{"a":1}'));
    expect(splitter.headDone).toBe(true);
    expect(heads).toEqual([{ kind: 'PodList', metadata: { continue: 't' }, items: [] }]);
    splitter.push(Buffer.from(']}'));
    expect(splitter.headDone).toBe(true);
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

/** The projection applied to parsed JSON, the plain way: what the splitter's projected text must parse to. */
function reference(value: unknown, projection: Projection): unknown {
  if (projection === true) return value;
  if (Array.isArray(value)) return value.map((v) => reference(v, projection));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (projection instanceof KeepKeys) {
        if (projection.keep(k)) out[k] = v;
      } else if (Object.hasOwn(projection, k)) out[k] = reference(v, projection[k]!);
    }
    return out;
  }
  return value;
}

function splitProjected(bytes: Buffer, chunkSize: number, projection: Projection) {
  const items: string[] = [];
  const heads: Record<string, unknown>[] = [];
  const splitter = new ListSplitter((json) => items.push(json), { projection, onHead: (h) => heads.push(h) });
  for (let at = 0; at < bytes.length; at += chunkSize) splitter.push(bytes.subarray(at, at + chunkSize));
  return { head: splitter.end(), items: items.map((t) => JSON.parse(t)), heads };
}

describe('ListSplitter with a projection', () => {
  const projection: Projection = {
    // A member named like an Object.prototype property is looked up as any other.
    metadata: { name: true, labels: true, 'ü': true, ...(JSON.parse('{"constructor":true}') as Record<string, Projection>) },
    spec: { containers: { name: true, image: true }, hostNetwork: true, nested: { deep: { keep: true } } },
    kind: true,
    annotations: new KeepKeys((key) => key.startsWith('istio.io/') || key === 'ü"'),
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const list: { kind: string; metadata: Record<string, unknown>; items: Record<string, any>[] } = {
    kind: 'PodList',
    metadata: { continue: 'next-token', resourceVersion: '3' },
    items: [
      {
        metadata: { name: 'a', namespace: 'x', labels: { '}': '{', q: '"\\' }, managedFields: [{ 'k:{"uid":"x"}': {} }], constructor: 'kept', 'ü': 'ö' },
        spec: {
          containers: [{ name: 'c', image: 'i', env: [{ name: 'E', value: ']' }] }, { image: 'j' }, 'scalar', ['nested', { name: 'n', x: 1 }]],
          hostNetwork: true,
          volumes: [{ name: 'v' }],
          nested: { deep: { keep: [1, 2, { three: 3 }], drop: 'x' }, drop: { a: [] } },
        },
        status: { phase: 'Running', s: 'quote \\" and backslash \\\\', n: -1.5e3, t: true, f: false, z: null },
      },
      { metadata: {}, spec: { containers: 'not a list', hostNetwork: 0 }, kind: 'Pod', extra: [{}, [], ''], annotations: { 'istio.io/rev': 'a', other: { x: '}' }, 'istio.io/x': { y: [1] }, 'ü"': 'kept', z: 'dropped' } },
      { annotations: 'not an object' },
      {},
      { spec: { containers: [] }, metadata: { name: 'ünïcødé ✓ 漢字 🚀', labels: {} } },
    ],
  };

  it('keeps exactly the members it names, at every chunk size, compact or pretty-printed', () => {
    const expected = list.items.map((item) => reference(item, projection));
    for (const text of [JSON.stringify(list), JSON.stringify(list, null, 2), JSON.stringify(list, null, '\t')]) {
      const bytes = Buffer.from(text, 'utf8');
      for (let size = 1; size <= 80; size++) {
        const { head, items } = splitProjected(bytes, size, projection);
        expect(items, `chunk size ${size}`).toEqual(expected);
        expect(head, `chunk size ${size}`).toEqual({ kind: 'PodList', metadata: list.metadata, items: [] });
      }
      expect(splitProjected(bytes, bytes.length, projection).items).toEqual(expected);
    }
  });

  it('matches keys written with escapes', () => {
    const text = '{"items":[{"m\\u0065tadata":{"n\\u0061me":"a","x":1},"spec":{"hostNetwork":true},"st\\"atus":{},"annotations":{"istio.io/\\u0072ev":"r","\\u00fc\\"":1,"o":2}}]}';
    for (let size = 1; size <= text.length; size++) {
      expect(splitProjected(Buffer.from(text), size, projection).items).toEqual([{ metadata: { name: 'a' }, spec: { hostNetwork: true }, annotations: { 'istio.io/rev': 'r', 'ü"': 1 } }]);
    }
  });

  it('hands over the head (with the continue token) as soon as the items start', () => {
    const heads: Record<string, unknown>[] = [];
    const items: string[] = [];
    const splitter = new ListSplitter((json) => items.push(json), { projection, onHead: (h) => heads.push(h) });
    splitter.push(Buffer.from('{"kind":"PodList","metadata":{"continue":"t2"},"items":'));
    expect(heads).toEqual([]);
    splitter.push(Buffer.from('[{"metadata":{"name":"a"'));
    expect(heads).toEqual([{ kind: 'PodList', metadata: { continue: 't2' }, items: [] }]);
    expect(items).toEqual([]);
    splitter.push(Buffer.from('}}]}'));
    expect(items.map((t) => JSON.parse(t))).toEqual([{ metadata: { name: 'a' } }]);
    expect(splitter.end()).toEqual({ kind: 'PodList', metadata: { continue: 't2' }, items: [] });
    expect(heads).toHaveLength(1);
  });

  it('rejects broken or cut-off JSON', () => {
    for (const text of ['{"items":[{"metadata":{"name":"a"}', '{"items":[{"metadata":{"name" "a"}}]}', '{"items":[{"spec":{"x":,}}]}', '{"items":[{"spec":{"hostNetwork":tr']) {
      expect(() => splitProjected(Buffer.from(text), 3, projection), text).toThrow(SyntaxError);
    }
  });
});

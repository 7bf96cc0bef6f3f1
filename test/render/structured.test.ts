import { describe, expect, it } from 'vitest';
import { writeJsonStreaming, type StreamingOptions } from '../../src/render/structured.js';

/** The chunks written, each copied as it arrives (a sink may not assume it can keep a batch's buffer... nor may the writer reuse one: copies would hide that). */
function written(value: Record<string, unknown>, options?: StreamingOptions): { text: string; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const kept: Uint8Array[] = [];
  writeJsonStreaming(value, 'pods', { write: (c) => { chunks.push(Buffer.from(c)); kept.push(c); } }, options);
  // The chunks the sink kept (not copies) still hold what was written: the writer never reuses a buffer it handed over.
  kept.forEach((c, i) => expect(Buffer.from(c).equals(chunks[i]!)).toBe(true));
  return { text: Buffer.concat(chunks).toString('utf8'), chunks };
}

describe('writeJsonStreaming', () => {
  it.each([
    [{ kind: 'R', pods: [{ a: 1, b: { c: [1, 2] } }, { a: 2, s: 'x\ny' }], summary: { n: 2 } }],
    [{ kind: 'R', pods: [], summary: {} }],
    [{ kind: 'R', summary: {} }],
    [{ pods: Array.from({ length: 1234 }, (_, i) => ({ i, nested: { list: [i, String(i)] } })), tail: true }],
    [{ kind: 'é', pods: [{ name: 'café-✓', emoji: '🙂 \ud83d lone surrogate', quote: '"\\' }], tail: 'ü' }],
  ])('writes exactly JSON.stringify(value, null, 2)', (value) => {
    expect(written(value as Record<string, unknown>).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });

  it('writes an item larger than a batch whole, and bounded batches around it', () => {
    const value = { pods: [{ a: 'x'.repeat(10) }, { big: 'é'.repeat(300_000) }, ...Array.from({ length: 10_000 }, (_, i) => ({ i }))] };
    const { text, chunks } = written(value);
    expect(text).toBe(`${JSON.stringify(value, null, 2)}\n`);
    expect(chunks.length).toBeGreaterThan(2);
    // Only the batch holding the big item is larger than a batch and the room past it.
    expect(chunks.filter((c) => c.length > 80 * 1024)).toHaveLength(1);
  });

  it('reuses its buffer for the next batch only when the sink has written the last one through', () => {
    const value = { pods: Array.from({ length: 5000 }, (_, i) => ({ i, name: `p-${i}` })) };
    const expected = `${JSON.stringify(value, null, 2)}\n`;
    const through: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    writeJsonStreaming(value, 'pods', { writableLength: 0, write: (c) => { through.push(Buffer.from(c)); buffers.add(c.buffer); } });
    expect(Buffer.concat(through).toString('utf8')).toBe(expected);
    expect(through.length).toBeGreaterThan(2);
    expect(buffers.size).toBeLessThan(through.length);
    // A sink with bytes still pending keeps what it was given: never overwritten.
    const kept: Uint8Array[] = [];
    writeJsonStreaming(value, 'pods', { writableLength: 10, write: (c) => kept.push(c) });
    expect(Buffer.concat(kept).toString('utf8')).toBe(expected);
    expect(new Set(kept.map((c) => c.buffer)).size).toBe(kept.length);
  });

  it('indents the whole document and ends it as asked (a document inside another)', () => {
    const value = { kind: 'R', pods: [{ a: 1, b: { c: [1, 2] } }, 'two'], summary: { n: 2 } };
    const inner = JSON.stringify(value, null, 2).replaceAll('\n', '\n    ');
    expect(written(value, { indent: '    ', end: ',\n' }).text).toBe(`${inner},\n`);
    expect(written({ pods: [] }, { indent: '  ', end: '' }).text).toBe(JSON.stringify({ pods: [] }, null, 2).replaceAll('\n', '\n  '));
  });
});

describe('writeJsonStreaming with shared members', () => {
  const workload = { kind: 'Deployment', name: 'web' };
  const actual = { injected: true, revision: null, image: 'x"y', mode: 'sidecar', nested: { list: ['a', { b: [] }], empty: {} } };
  const drift: string[] = [];
  const items = Array.from({ length: 1203 }, (_, i) => ({
    namespace: `ns-${i % 7}`,
    name: `pod\n${i}`,
    workload: i % 3 ? workload : null,
    actual: i % 5 ? actual : { ...actual, injected: false },
    drift: i % 2 ? drift : ['MissingSidecar'],
    skipped: undefined,
    findings: i % 11 ? [] : [{ code: 'HostNetwork', message: `m${i}` }],
  }));
  const shared = { sharedMembers: ['workload', 'actual', 'drift', 'findings'] };
  it.each([
    ['pods with shared workload, actual and drift objects', { kind: 'R', pods: items, summary: { pods: items.length } }],
    ['items that are not objects, and empty objects', { pods: [1, 'two', null, [3, [4]], {}, { a: {} }, undefined], tail: [] }],
    ['one item', { pods: [items[0]] }],
  ])('writes exactly JSON.stringify(value, null, 2): %s', (_name, value) => {
    expect(written(value as Record<string, unknown>, shared).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
  });

  it('streams: many items are written in several batches', () => {
    expect(written({ kind: 'R', pods: items }, shared).chunks.length).toBeGreaterThan(2);
  });

  it('a shared object is written with its text when first seen, also at another indentation in another run', () => {
    const value = { pods: [{ actual }, { actual }] };
    expect(written(value, shared).text).toBe(`${JSON.stringify(value, null, 2)}\n`);
    expect(written(value, { ...shared, indent: '  ' }).text).toBe(`${JSON.stringify(value, null, 2).replaceAll('\n', '\n  ')}\n`);
  });
});

import { describe, expect, it } from 'vitest';
import { writeJsonStreaming } from '../../src/render/structured.js';

describe('writeJsonStreaming', () => {
  it.each([
    [{ kind: 'R', pods: [{ a: 1, b: { c: [1, 2] } }, { a: 2, s: 'x\ny' }], summary: { n: 2 } }],
    [{ kind: 'R', pods: [], summary: {} }],
    [{ pods: Array.from({ length: 1234 }, (_, i) => ({ i, nested: { list: [i, String(i)] } })), tail: true }],
  ])('writes exactly JSON.stringify(value, null, 2)', (value) => {
    const chunks: string[] = [];
    writeJsonStreaming(value as Record<string, unknown>, 'pods', (c) => chunks.push(c));
    expect(chunks.join('')).toBe(`${JSON.stringify(value, null, 2)}\n`);
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
  it.each([
    ['pods with shared workload, actual and drift objects', { kind: 'R', pods: items, summary: { pods: items.length } }],
    ['items that are not objects, and empty objects', { pods: [1, 'two', null, [3, [4]], {}, { a: {} }, undefined], tail: [] }],
    ['one item', { pods: [items[0]] }],
  ])('writes exactly JSON.stringify(value, null, 2): %s', (_name, value) => {
    const chunks: string[] = [];
    writeJsonStreaming(value as Record<string, unknown>, 'pods', (c) => chunks.push(c), { sharedMembers: ['workload', 'actual', 'drift', 'findings'] });
    expect(chunks.join('')).toBe(`${JSON.stringify(value, null, 2)}\n`);
    expect(chunks.length).toBeGreaterThan(2); // streamed: head, items in batches, tail
  });
});

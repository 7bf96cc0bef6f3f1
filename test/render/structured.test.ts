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

import { describe, expect, it } from 'vitest';
import { LARGE_TABLE, renderTable } from '../../src/render/plain-table.js';

const headers = ['NAMESPACE', 'POD', 'DRIFT'];
const rows = [
  ['shop', 'cart-abc', 'RevisionMismatch'],
  ['bookinfo', 'details-v1-xyz', '-'],
  ['a', '', 'x'],
  ['\u001b[31mred\u001b[39m', 'coloured-cell', '\u001b[32m-\u001b[39m'],
];

describe('renderTable', () => {
  it('lays out like kubectl: headers, 3-space gaps, no trailing spaces', () => {
    expect(renderTable(headers, rows.slice(0, 2))).toBe(
      'NAMESPACE   POD              DRIFT\nshop        cart-abc         RevisionMismatch\nbookinfo    details-v1-xyz   -\n',
    );
  });

  it.each([[false], [true]])('the direct writer gives byte-identical output to cli-table3 (noHeaders=%s)', (noHeaders) => {
    expect(renderTable(headers, rows, { noHeaders, direct: true })).toBe(renderTable(headers, rows, { noHeaders }));
  });

  it('large tables take the direct writer, with the same layout', () => {
    const big = Array.from({ length: 20_000 }, (_, i) => [`ns-${i % 40}`, `pod-${i}`, i % 3 ? '-' : 'MissingSidecar']);
    const out = renderTable(headers, big);
    expect(out.split('\n')).toHaveLength(20_002);
    expect(out.split('\n')[1]).toBe('ns-0        pod-0       MissingSidecar');
    expect(renderTable(headers, big.slice(0, LARGE_TABLE))).toBe(renderTable(headers, big.slice(0, LARGE_TABLE), { direct: true }));
  });
});

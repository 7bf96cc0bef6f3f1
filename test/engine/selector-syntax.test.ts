// kubectl -l syntax (k8s.io/apimachinery/pkg/labels.Parse).
import { describe, expect, it } from 'vitest';
import { selectorMatches, type Requirement } from '../../src/engine/label-selector.js';
import { parseSelector, SelectorSyntaxError } from '../../src/engine/selector-syntax.js';
import type { Labels } from '../../src/engine/types.js';

function requirementsOf(text: string): Requirement[] {
  const compiled = parseSelector(text);
  if (!compiled.valid) throw new Error(`invalid: ${compiled.error}`);
  // labels.Parse sorts requirements by key; compare independent of order.
  return [...compiled.requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

describe('parseSelector: accepted syntax', () => {
  it.each<[string, Requirement[]]>([
    ['a=b', [{ key: 'a', operator: 'In', values: ['b'] }]],
    ['a==b', [{ key: 'a', operator: 'In', values: ['b'] }]],
    ['a!=b', [{ key: 'a', operator: 'NotIn', values: ['b'] }]],
    ['a in (x,y)', [{ key: 'a', operator: 'In', values: ['x', 'y'] }]],
    ['a in (x)', [{ key: 'a', operator: 'In', values: ['x'] }]],
    ['a in(x)', [{ key: 'a', operator: 'In', values: ['x'] }]],
    ['a notin (x)', [{ key: 'a', operator: 'NotIn', values: ['x'] }]],
    ['a notin (x, y)', [{ key: 'a', operator: 'NotIn', values: ['x', 'y'] }]],
    ['a', [{ key: 'a', operator: 'Exists', values: [] }]],
    ['!a', [{ key: 'a', operator: 'DoesNotExist', values: [] }]],
    ['a=', [{ key: 'a', operator: 'In', values: [''] }]],
    ['a>1', [{ key: 'a', operator: 'Gt', values: ['1'] }]],
    ['a<10', [{ key: 'a', operator: 'Lt', values: ['10'] }]],
    ['app.kubernetes.io/name=web', [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['web'] }]],
    ['sidecar.istio.io/inject!=false', [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }]],
    [
      'app=web,tier!=db',
      [
        { key: 'app', operator: 'In', values: ['web'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
      ],
    ],
    [
      '  app = web ,  tier in ( a , b ) , ! canary , version  ',
      [
        { key: 'app', operator: 'In', values: ['web'] },
        { key: 'canary', operator: 'DoesNotExist', values: [] },
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'version', operator: 'Exists', values: [] },
      ],
    ],
    [
      'istio.io/rev,!istio-injection',
      [
        { key: 'istio-injection', operator: 'DoesNotExist', values: [] },
        { key: 'istio.io/rev', operator: 'Exists', values: [] },
      ],
    ],
  ])('%j', (text, expected) => {
    expect(requirementsOf(text)).toEqual(expected);
  });

  it.each([[''], ['   '], ['\t']])('%j selects everything', (text) => {
    const compiled = parseSelector(text);
    expect(compiled).toEqual({ valid: true, requirements: [], empty: true });
    expect(selectorMatches(compiled, { any: 'thing' })).toBe(true);
  });
});

describe('parseSelector: matching like kubectl', () => {
  it.each<[string, Labels, boolean]>([
    ['app=web', { app: 'web' }, true],
    ['app=web', { app: 'api' }, false],
    ['app=web', {}, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app!=web', { app: 'api' }, true],
    ['app notin (web,api)', {}, true],
    ['app notin (web,api)', { app: 'api' }, false],
    ['app in (web,api)', { app: 'api' }, true],
    ['app', { app: '' }, true],
    ['!app', { app: '' }, false],
    ['!app', { other: 'x' }, true],
    ['app=web,tier=db', { app: 'web' }, false],
    ['app=web,tier=db', { app: 'web', tier: 'db' }, true],
    ['replicas>2', { replicas: '3' }, true],
    ['replicas>2', { replicas: '2' }, false],
    ['replicas>2', { replicas: 'many' }, false],
    ['replicas<2', {}, false],
    ['a=', { a: '' }, true],
    ['a=', { a: 'x' }, false],
  ])('%j on %j -> %s', (text, labels, expected) => {
    expect(selectorMatches(parseSelector(text), labels)).toBe(expected);
  });
});

describe('parseSelector: errors', () => {
  it.each([
    ['a=b c', 'two words after a value'],
    ['a b', 'two keys without an operator'],
    ['!a=b', 'DoesNotExist takes no value'],
    ['a,', 'trailing comma'],
    [',a', 'leading comma'],
    ['a,,b', 'empty requirement'],
    ['=b', 'missing key'],
    ['!', 'missing key after !'],
    ['a in ()', 'in with no values'],
    ['a notin ()', 'notin with no values'],
    ['a in (x', 'unclosed parenthesis'],
    ['a in x', 'in without parentheses'],
    ['a IN (x)', 'operators are lower-case'],
    ['a=b=c', 'second operator'],
    ['a>b', 'Gt needs an integer'],
    ['-a=b', 'key starts with a dash'],
    ['a/b/c=d', 'key with two slashes'],
    ['Example.com/a=b', 'upper-case prefix'],
    [`${'k'.repeat(64)}=v`, 'key name too long'],
    ['a=-b', 'value starts with a dash'],
    [`a=${'v'.repeat(64)}`, 'value too long'],
    ['a in (x,-y)', 'invalid value in a set'],
  ])('%j (%s) throws SelectorSyntaxError', (text) => {
    expect(() => parseSelector(text)).toThrow(SelectorSyntaxError);
  });
});

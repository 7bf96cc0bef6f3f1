// metav1.LabelSelector semantics (k8s.io/apimachinery LabelSelectorAsSelector + labels.Requirement.Matches).
import { describe, expect, it } from 'vitest';
import {
  compileSelector,
  explainSelector,
  formatRequirement,
  formatSelector,
  requirementMatches,
  selectorMatches,
  validateKey,
  type Requirement,
} from '../../src/engine/label-selector.js';
import type { LabelSelector, Labels } from '../../src/engine/types.js';

describe('requirement operators', () => {
  const k = 'team';
  it.each<[string, Requirement, Labels, boolean]>([
    ['In: value listed', { key: k, operator: 'In', values: ['a'] }, { team: 'a' }, true],
    ['In: one of several values', { key: k, operator: 'In', values: ['a', 'b'] }, { team: 'b' }, true],
    ['In: other value', { key: k, operator: 'In', values: ['a'] }, { team: 'b' }, false],
    ['In: absent key never matches', { key: k, operator: 'In', values: ['a'] }, {}, false],
    ['In: absent key never matches even for value ""', { key: k, operator: 'In', values: [''] }, {}, false],
    ['In: present with "" matches [""]', { key: k, operator: 'In', values: [''] }, { team: '' }, true],
    ['In: is case-sensitive', { key: k, operator: 'In', values: ['true'] }, { team: 'True' }, false],
    ['In: other keys do not count', { key: k, operator: 'In', values: ['a'] }, { other: 'a' }, false],
    ['NotIn: value listed', { key: k, operator: 'NotIn', values: ['a'] }, { team: 'a' }, false],
    ['NotIn: other value', { key: k, operator: 'NotIn', values: ['a'] }, { team: 'b' }, true],
    ['NotIn: absent key matches', { key: k, operator: 'NotIn', values: ['a'] }, {}, true],
    ['NotIn: "" is a value like any other', { key: k, operator: 'NotIn', values: ['false'] }, { team: '' }, true],
    ['Exists: present', { key: k, operator: 'Exists', values: [] }, { team: 'x' }, true],
    ['Exists: present with ""', { key: k, operator: 'Exists', values: [] }, { team: '' }, true],
    ['Exists: absent', { key: k, operator: 'Exists', values: [] }, {}, false],
    ['DoesNotExist: absent', { key: k, operator: 'DoesNotExist', values: [] }, {}, true],
    ['DoesNotExist: present with ""', { key: k, operator: 'DoesNotExist', values: [] }, { team: '' }, false],
    ['DoesNotExist: present', { key: k, operator: 'DoesNotExist', values: [] }, { team: 'x' }, false],
  ])('%s', (_name, req, labels, expected) => {
    expect(requirementMatches(req, labels)).toBe(expected);
  });

  it('does not treat inherited object properties as labels', () => {
    expect(requirementMatches({ key: 'constructor', operator: 'Exists', values: [] }, {})).toBe(false);
    expect(requirementMatches({ key: 'toString', operator: 'DoesNotExist', values: [] }, {})).toBe(true);
  });
});

describe('compileSelector: empty and null selectors', () => {
  it.each<[string, LabelSelector | null | undefined]>([
    ['{}', {}],
    ['empty matchLabels and matchExpressions', { matchLabels: {}, matchExpressions: [] }],
    ['null matchLabels and matchExpressions', { matchLabels: null, matchExpressions: null }],
    // An omitted webhook selector is defaulted to {} by the API server: it selects everything.
    ['null (omitted webhook selector)', null],
    ['undefined', undefined],
  ])('%s is valid, empty, and matches every label set', (_name, sel) => {
    const compiled = compileSelector(sel);
    expect(compiled).toEqual({ valid: true, requirements: [], empty: true });
    for (const labels of [{}, { app: 'web' }, { 'istio-injection': 'disabled' }] as Labels[]) expect(selectorMatches(compiled, labels)).toBe(true);
  });
});

describe('compileSelector: matchLabels and matchExpressions are AND-ed', () => {
  const selector: LabelSelector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'NotIn', values: ['db'] },
      { key: 'canary', operator: 'DoesNotExist' },
    ],
  };
  const compiled = compileSelector(selector);

  it('compiles matchLabels as In requirements plus every expression', () => {
    expect(compiled.valid).toBe(true);
    if (!compiled.valid) return;
    expect(compiled.empty).toBe(false);
    expect(compiled.requirements).toEqual(
      expect.arrayContaining([
        { key: 'app', operator: 'In', values: ['web'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'canary', operator: 'DoesNotExist', values: [] },
      ]),
    );
    expect(compiled.requirements).toHaveLength(3);
  });

  it.each<[Labels, boolean]>([
    [{ app: 'web' }, true],
    [{ app: 'web', tier: 'frontend' }, true],
    [{ app: 'web', tier: 'db' }, false],
    [{ app: 'web', canary: 'true' }, false],
    [{ app: 'api' }, false],
    [{ tier: 'frontend' }, false],
    [{}, false],
  ])('labels %j -> %s', (labels, expected) => {
    expect(selectorMatches(compiled, labels)).toBe(expected);
  });

  it('several matchLabels must all hold', () => {
    const two = compileSelector({ matchLabels: { a: '1', b: '2' } });
    expect(selectorMatches(two, { a: '1', b: '2', c: '3' })).toBe(true);
    expect(selectorMatches(two, { a: '1' })).toBe(false);
    expect(selectorMatches(two, { a: '1', b: '3' })).toBe(false);
  });
});

describe('compileSelector: invalid selectors are invalid (and match nothing), never a crash', () => {
  const invalid: [string, unknown][] = [
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }],
    ['operator in the wrong case', { matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] }],
    ['Gt is not a metav1 LabelSelector operator', { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }],
    ['missing operator', { matchExpressions: [{ key: 'a', values: ['x'] }] }],
    ['In with no values', { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }],
    ['In with values omitted', { matchExpressions: [{ key: 'a', operator: 'In' }] }],
    ['In with values null', { matchExpressions: [{ key: 'a', operator: 'In', values: null }] }],
    ['NotIn with no values', { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] }],
    ['Exists with values', { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }],
    ['DoesNotExist with values', { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] }],
    ['values not a list', { matchExpressions: [{ key: 'a', operator: 'In', values: 'x' }] }],
    ['values with a non-string', { matchExpressions: [{ key: 'a', operator: 'In', values: [1] }] }],
    ['expression without key', { matchExpressions: [{ operator: 'Exists' }] }],
    ['expression that is not an object', { matchExpressions: ['a'] }],
    ['matchExpressions not a list', { matchExpressions: { key: 'a', operator: 'Exists' } }],
    ['matchLabels not a map', { matchLabels: ['a'] }],
    ['matchLabels value not a string', { matchLabels: { a: 1 } }],
    ['key with a space', { matchLabels: { 'bad key': 'x' } }],
    ['key starting with a dash', { matchExpressions: [{ key: '-a', operator: 'Exists' }] }],
    ['key with two slashes', { matchExpressions: [{ key: 'a/b/c', operator: 'Exists' }] }],
    ['key with an upper-case prefix', { matchExpressions: [{ key: 'Example.com/a', operator: 'Exists' }] }],
    ['key with an empty prefix', { matchExpressions: [{ key: '/a', operator: 'Exists' }] }],
    ['empty key', { matchExpressions: [{ key: '', operator: 'Exists' }] }],
    ['key name longer than 63 characters', { matchExpressions: [{ key: 'a'.repeat(64), operator: 'Exists' }] }],
    // labels.NewRequirement validates values too (validateLabelValue), so LabelSelectorAsSelector fails.
    ['matchLabels value with a space', { matchLabels: { app: 'a b' } }],
    ['In value with a "!"', { matchExpressions: [{ key: 'team', operator: 'In', values: ['not valid!'] }] }],
    ['NotIn value longer than 63 characters', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'.repeat(64)] }] }],
    ['not an object', 'app=web'],
    ['a list', [{ matchLabels: { a: 'b' } }]],
  ];

  it.each(invalid)('%s', (_name, sel) => {
    let compiled: ReturnType<typeof compileSelector> | undefined;
    expect(() => {
      compiled = compileSelector(sel as LabelSelector);
    }).not.toThrow();
    expect(compiled?.valid).toBe(false);
    if (compiled && !compiled.valid) expect(compiled.error.length).toBeGreaterThan(0);
    // An invalid selector matches nothing, not even a label set that would satisfy its requirements.
    expect(selectorMatches(compiled!, {})).toBe(false);
    expect(selectorMatches(compiled!, { a: 'x', team: 'x', app: 'web' })).toBe(false);
    expect(explainSelector(compiled!, { a: 'x' })).toEqual([]);
    expect(formatSelector(compiled!)).toMatch(/^<invalid: .+>$/);
  });

  it.each([
    ['valid qualified key', 'app.kubernetes.io/name', null],
    ['valid plain key', 'istio-injection', null],
    ['valid key with dots and underscores', 'a_b.c-d', null],
    ['63-character name', 'a'.repeat(63), null],
    ['sidecar.istio.io/inject', 'sidecar.istio.io/inject', null],
    ['kubernetes.io/metadata.name', 'kubernetes.io/metadata.name', null],
  ])('validateKey: %s', (_name, key, expected) => {
    expect(validateKey(key)).toBe(expected);
  });

  it.each([['bad key'], ['-a'], ['a-'], ['a/b/c'], ['/a'], ['a/'], [''], ['UPPER.com/a'], ['a'.repeat(64)], [`${'a'.repeat(254)}/b`]])(
    'validateKey rejects %j',
    (key) => {
      expect(validateKey(key)).toEqual(expect.any(String));
    },
  );
});

describe('explainSelector and formatting', () => {
  const compiled = compileSelector({
    matchExpressions: [
      { key: 'istio.io/rev', operator: 'In', values: ['canary'] },
      { key: 'istio-injection', operator: 'DoesNotExist' },
    ],
  });

  it('reports each requirement with its outcome and the actual value', () => {
    expect(explainSelector(compiled, { 'istio.io/rev': 'default' })).toEqual([
      { key: 'istio.io/rev', operator: 'In', values: ['canary'], matched: false, actual: 'default' },
      { key: 'istio-injection', operator: 'DoesNotExist', values: [], matched: true, actual: null },
    ]);
    expect(explainSelector(compiled, { 'istio.io/rev': 'canary', 'istio-injection': '' })).toEqual([
      { key: 'istio.io/rev', operator: 'In', values: ['canary'], matched: true, actual: 'canary' },
      { key: 'istio-injection', operator: 'DoesNotExist', values: [], matched: false, actual: '' },
    ]);
  });

  it.each<[Requirement, string]>([
    [{ key: 'a', operator: 'In', values: ['x'] }, 'a=x'],
    [{ key: 'a', operator: 'In', values: ['x', 'y'] }, 'a in (x,y)'],
    [{ key: 'a', operator: 'NotIn', values: ['x'] }, 'a!=x'],
    [{ key: 'a', operator: 'NotIn', values: ['x', 'y'] }, 'a notin (x,y)'],
    [{ key: 'a', operator: 'Exists', values: [] }, 'a'],
    [{ key: 'a', operator: 'DoesNotExist', values: [] }, '!a'],
  ])('formatRequirement(%j) = %s', (req, text) => {
    expect(formatRequirement(req)).toBe(text);
  });

  it('formatSelector joins requirements and names the empty selector', () => {
    expect(formatSelector(compiled)).toBe('istio.io/rev=canary,!istio-injection');
    expect(formatSelector(compileSelector({}))).toBe('<everything>');
  });
});

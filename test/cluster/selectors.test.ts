import { describe, expect, it } from 'vitest';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError } from './status.js';

const matches = (selector: string, labels: Record<string, string>) => labelsMatch(parseLabelSelector(selector), labels);

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'istio.io/rev': 'canary', replicas: '3' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app = web , tier=front', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db, web)', true],
    ['app in (db)', false],
    ['app notin (db,cache)', true],
    ['missing notin (db)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['istio.io/rev=canary', true],
    ['istio.io/rev in (stable,canary),app', true],
    ['replicas>2', true],
    ['replicas<3', false],
    ['app=', false],
  ])('%s -> %s', (selector, expected) => {
    expect(matches(selector, labels)).toBe(expected);
  });

  it('parses requirements as the API server does', () => {
    expect(parseLabelSelector('a=b,c notin (d, e),!f,g')).toEqual([
      { key: 'a', operator: 'in', values: ['b'] },
      { key: 'c', operator: 'notin', values: ['d', 'e'] },
      { key: 'f', operator: 'notexists', values: [] },
      { key: 'g', operator: 'exists', values: [] },
    ]);
  });

  it.each(['app in (a', 'app in a', 'a b', '=x', 'app=web,', 'bad key!', '-a=b', 'a=-b', 'a>b', 'Example.com/x=y'])('rejects %j with 400', (selector) => {
    let error: unknown;
    try {
      parseLabelSelector(selector);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(400);
  });
});

describe('field selectors', () => {
  const object = { metadata: { name: 'web-1', namespace: 'demo' }, status: { phase: 'Running' } };

  it('matches metadata fields and per-kind extras', () => {
    expect(fieldsMatch(parseFieldSelector('metadata.name=web-1', 'Pod'), object)).toBe(true);
    expect(fieldsMatch(parseFieldSelector('metadata.namespace==demo,metadata.name!=web-1', 'Pod'), object)).toBe(false);
    expect(fieldsMatch(parseFieldSelector('status.phase=Running', 'Pod'), object)).toBe(true);
    expect(fieldsMatch(parseFieldSelector('spec.nodeName=', 'Pod'), object)).toBe(true);
    expect(parseFieldSelector('metadata.name=a\\,b', 'Pod')).toEqual([{ field: 'metadata.name', equal: true, value: 'a,b' }]);
  });

  it('rejects fields the kind cannot be selected by', () => {
    expect(() => parseFieldSelector('status.phase=Running', 'ConfigMap')).toThrow('field label not supported: status.phase');
    expect(() => parseFieldSelector('metadata.name', 'Pod')).toThrow(ApiError);
  });
});

import { describe, expect, it } from 'vitest';
import { applyPatch, jsonPatch, mergePatch, PatchError, strategicMerge } from './patch.js';

const deployment = () => ({
  metadata: { name: 'web', labels: { app: 'web', old: 'x' }, finalizers: ['a'] },
  spec: {
    template: {
      metadata: { annotations: { keep: 'me' } },
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1', env: [{ name: 'A', value: '1' }] },
          { name: 'sidecar', image: 'proxy:1' },
        ],
        tolerations: [{ key: 'a' }],
      },
    },
  },
});

describe('JSON merge patch', () => {
  it('merges maps recursively, deletes on null and replaces lists', () => {
    const result = mergePatch(deployment(), {
      metadata: { labels: { old: null, 'istio-injection': 'enabled' } },
      spec: { template: { spec: { containers: [{ name: 'only' }] } } },
    });
    expect(result).toMatchObject({
      metadata: { labels: { app: 'web', 'istio-injection': 'enabled' } },
      spec: { template: { metadata: { annotations: { keep: 'me' } }, spec: { containers: [{ name: 'only' }] } } },
    });
  });

  it('leaves its input alone', () => {
    const target = deployment();
    mergePatch(target, { metadata: { labels: null } });
    expect(target).toEqual(deployment());
  });
});

describe('strategic merge patch', () => {
  it('adds template annotations as kubectl rollout restart sends them', () => {
    const result = strategicMerge(deployment(), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 't' } } } } });
    expect(result.spec.template.metadata.annotations).toEqual({ keep: 'me', 'kubectl.kubernetes.io/restartedAt': 't' });
    expect(result.spec.template.spec.containers).toHaveLength(2);
  });

  it('merges containers and env by name, replaces lists without a merge key', () => {
    const result = strategicMerge(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'sidecar', image: 'proxy:2' }, { name: 'app', env: [{ name: 'B', value: '2' }] }, { name: 'new', image: 'x' }],
            tolerations: [{ key: 'b' }],
          },
        },
      },
    });
    expect(result.spec.template.spec.containers).toEqual([
      { name: 'app', image: 'nginx:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
      { name: 'sidecar', image: 'proxy:2' },
      { name: 'new', image: 'x' },
    ]);
    expect(result.spec.template.spec.tolerations).toEqual([{ key: 'b' }]);
  });

  it('follows $patch, $setElementOrder, $deleteFromPrimitiveList and $retainKeys directives', () => {
    const result = strategicMerge(deployment(), {
      metadata: { $patch: 'replace', name: 'web', labels: { fresh: 'yes' } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
            containers: [{ name: 'app', $patch: 'delete' }],
          },
        },
      },
    });
    expect(result.metadata).toEqual({ name: 'web', labels: { fresh: 'yes' } });
    expect(result.spec.template.spec.containers).toEqual([{ name: 'sidecar', image: 'proxy:1' }]);

    const reordered = strategicMerge(deployment(), { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] } } } });
    expect(reordered.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['sidecar', 'app']);

    const finalizers = strategicMerge(deployment(), { metadata: { finalizers: ['b'], '$deleteFromPrimitiveList/finalizers': ['a'] } });
    expect(finalizers.metadata.finalizers).toEqual(['b']);

    const retained = strategicMerge({ a: 1, b: 2, c: 3 }, { $retainKeys: ['a', 'c'], c: 4 });
    expect(retained).toEqual({ a: 1, c: 4 });
  });
});

describe('JSON patch', () => {
  it('adds, removes, replaces, tests, moves and copies', () => {
    const result = jsonPatch(deployment(), [
      { op: 'test', path: '/metadata/name', value: 'web' },
      { op: 'add', path: '/metadata/labels/istio-injection', value: 'enabled' },
      { op: 'remove', path: '/metadata/labels/old' },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'proxy:2' },
      { op: 'add', path: '/metadata/finalizers/-', value: 'z' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/annotations' },
      { op: 'move', from: '/metadata/annotations', path: '/metadata/generateName' },
      { op: 'add', path: '/metadata/labels/a~1b', value: 'slash' },
    ]);
    expect(result.metadata).toEqual({
      name: 'web',
      generateName: 'web',
      labels: { app: 'web', 'istio-injection': 'enabled', 'a/b': 'slash' },
      finalizers: ['a', 'z'],
    });
    expect(result.spec.template.spec.containers[1].image).toBe('proxy:2');
  });

  it.each([
    [[{ op: 'test', path: '/metadata/name', value: 'db' }]],
    [[{ op: 'remove', path: '/metadata/nothing' }]],
    [[{ op: 'replace', path: '/nothing/here', value: 1 }]],
    [[{ op: 'add', path: '/metadata/finalizers/7', value: 'x' }]],
    [[{ op: 'frobnicate', path: '/metadata' }]],
    [{ op: 'add' }],
  ])('fails with PatchError on %j', (operations) => {
    expect(() => jsonPatch(deployment(), operations)).toThrow(PatchError);
  });
});

describe('applyPatch', () => {
  it('dispatches on the patch type', () => {
    expect(applyPatch('merge', { a: 1 }, { b: 2 })).toEqual({ a: 1, b: 2 });
    expect(applyPatch('strategic', { a: [1] }, { a: [2] })).toEqual({ a: [2] });
    expect(applyPatch('json', { a: 1 }, [{ op: 'remove', path: '/a' }])).toEqual({});
    expect(() => applyPatch('strategic', {}, [1])).toThrow(PatchError);
  });
});

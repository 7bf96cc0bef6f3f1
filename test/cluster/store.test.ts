import { describe, expect, it } from 'vitest';
import { deployment, namespace, pod } from './fixtures.js';
import { ObjectStore, type WriteEvent } from './store.js';

describe('object store', () => {
  it('loads objects as pre-existing state, keeping their identity', () => {
    const store = new ObjectStore();
    const skipped = store.load([
      { ...namespace('demo'), metadata: { name: 'demo', uid: 'u-1', creationTimestamp: '2024-01-01T00:00:00Z' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } },
      { kind: 'Pod', metadata: { name: 'p' } },
    ]);
    expect(skipped).toEqual(['Secret']);
    expect(store.get('Namespace', undefined, 'demo')?.metadata).toMatchObject({ uid: 'u-1', creationTimestamp: '2024-01-01T00:00:00Z' });
    expect(store.get('Pod', 'default', 'p')).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default' } });
    // Loading leaves no history: a watch can only start from now.
    expect(store.oldestRevision).toBe(store.revision);
  });

  it('copies objects on the way in and out', () => {
    const store = new ObjectStore();
    const original = pod('demo', 'p', { app: 'a' });
    store.put(original);
    original.metadata.labels.app = 'changed';
    const read = store.get('Pod', 'demo', 'p');
    expect(read?.metadata.labels).toEqual({ app: 'a' });
    (read as { metadata: { labels: Record<string, string> } }).metadata.labels.app = 'changed';
    expect(store.get('Pod', 'demo', 'p')?.metadata.labels).toEqual({ app: 'a' });
  });

  it('bumps resourceVersion on every write and generation only when the spec changes', () => {
    const store = new ObjectStore();
    const first = store.put(deployment('demo', 'web'));
    expect(first.metadata.generation).toBe(1);
    const relabelled = store.put({ ...first, metadata: { ...first.metadata, labels: { a: 'b' } }, status: { replicas: 3 } });
    expect(relabelled.metadata.generation).toBe(1);
    expect(Number(relabelled.metadata.resourceVersion)).toBe(Number(first.metadata.resourceVersion) + 1);
    const scaled = store.put({ ...relabelled, spec: { ...relabelled.spec, replicas: 4 } });
    expect(scaled.metadata.generation).toBe(2);
    expect(store.put(pod('demo', 'p')).metadata.generation).toBeUndefined();
  });

  it('records the field manager with the write time', () => {
    const store = new ObjectStore();
    const written = store.put(deployment('demo', 'web'), { manager: 'kubectl-rollout' });
    expect(written.metadata.managedFields).toEqual([
      { manager: 'kubectl-rollout', operation: 'Update', apiVersion: 'apps/v1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), fieldsType: 'FieldsV1', fieldsV1: {} },
    ]);
    const again = store.put(written, { manager: 'kubectl-rollout' });
    expect(again.metadata.managedFields).toHaveLength(1);
  });

  it('lists in namespace/name order', () => {
    const store = new ObjectStore();
    for (const [ns, name] of [['b', 'x'], ['a-b', 'y'], ['a', 'z'], ['a', 'a']]) store.put(pod(ns as string, name as string));
    expect(store.list('Pod').map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['a-b/y', 'a/a', 'a/z', 'b/x']);
    expect(store.list('Pod', 'a').map((p) => p.metadata.name)).toEqual(['a', 'z']);
  });

  it('keeps key order through creates, updates and deletes in any order', () => {
    const store = new ObjectStore();
    const live = new Set<string>();
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 2000; i++) {
      const ns = ['a', 'a-b', 'ab', 'b', 'a0'][random(5)] as string;
      const name = `p-${random(300)}`;
      const key = `${ns}/${name}`;
      if (live.has(key) && random(3) === 0) {
        store.remove('Pod', ns, name);
        live.delete(key);
      } else {
        store.put(pod(ns, name, { i: String(i) }));
        live.add(key);
      }
    }
    const sorted = [...live].sort();
    expect(store.list('Pod').map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(sorted);
    for (const ns of ['a', 'a-b', 'ab', 'a0', 'c']) {
      expect(store.list('Pod', ns).map((p) => `${ns}/${p.metadata.name}`)).toEqual(sorted.filter((k) => k.startsWith(`${ns}/`)));
      expect(store.count('Pod', ns)).toBe(sorted.filter((k) => k.startsWith(`${ns}/`)).length);
    }
  });

  it('seeds objects as produced, taking them over without history', () => {
    const store = new ObjectStore();
    const produced = [namespace('demo'), pod('demo', 'p', { app: 'a' }), { kind: 'Secret', metadata: { name: 's' } }];
    const skipped = store.seed((add) => produced.forEach(add));
    expect(skipped).toEqual(['Secret']);
    expect(store.count('Pod', 'demo')).toBe(1);
    expect(store.get('Pod', 'demo', 'p')?.metadata.labels).toEqual({ app: 'a' });
    expect(store.oldestRevision).toBe(store.revision);
  });

  it('tells onWrite listeners about every change, cascading namespace deletion', () => {
    const store = new ObjectStore();
    const events: WriteEvent[] = [];
    const stop = store.onWrite((event) => events.push(event));
    store.put(namespace('demo'));
    store.put(pod('demo', 'p'));
    store.put(pod('demo', 'p', { changed: 'yes' }));
    expect(store.remove('Namespace', undefined, 'demo')).toBe(true);
    expect(store.remove('Namespace', undefined, 'demo')).toBe(false);
    stop();
    store.put(namespace('after'));
    expect(events.map((e) => `${e.type} ${e.kind} ${e.namespace}/${e.name} ${e.resourceVersion}`)).toEqual([
      'ADDED Namespace /demo 2',
      'ADDED Pod demo/p 3',
      'MODIFIED Pod demo/p 4',
      'DELETED Pod demo/p 5',
      'DELETED Namespace /demo 6',
    ]);
    expect(events[2]?.object.metadata.labels).toEqual({ changed: 'yes' });
  });

  it('delivers changes in resourceVersion order when a listener writes', () => {
    const store = new ObjectStore();
    store.onWrite((event) => {
      if (event.kind === 'Deployment') store.put(pod('demo', `${event.name}-pod`));
    });
    const seen: string[] = [];
    store.onWrite((event) => seen.push(`${event.resourceVersion} ${event.kind}`));
    store.put(deployment('demo', 'web'));
    expect(seen).toEqual(['2 Deployment', '3 Pod']);
  });

  it('keeps a bounded history; older revisions are expired', () => {
    const store = new ObjectStore(2);
    const start = store.revision;
    store.put(pod('demo', 'a'));
    store.put(pod('demo', 'b'));
    expect(store.changesSince(start).map((c) => c.entry.name)).toEqual(['a', 'b']);
    store.put(pod('demo', 'c'));
    expect(() => store.changesSince(start)).toThrow(/too old resource version/);
    expect(store.changesSince(start + 1).map((c) => c.entry.name)).toEqual(['b', 'c']);
  });

  it('refuses kinds it does not serve', () => {
    expect(() => new ObjectStore().put({ kind: 'Secret', metadata: { name: 's' } })).toThrow('the test cluster does not serve kind "Secret"');
  });
});

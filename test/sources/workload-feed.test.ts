// WorkloadFeed (src/cluster/workload-feed.ts): a namespace is admitted once every workload list has
// passed it in key order (`<namespace>/` compared as a string) or ended; order broken before an
// admission only makes that list wait for its end, broken at or below one fails the feed.
import { describe, expect, it } from 'vitest';
import { OutOfOrderList, WorkloadFeed } from '../../src/cluster/workload-feed.js';
import type { WorkloadRecord } from '../../src/engine/types.js';

const w = (namespace: string, name = 'app'): WorkloadRecord =>
  ({ kind: 'Deployment', namespace, name, labels: {}, owner: null, template: null, selector: null, status: {} }) as unknown as WorkloadRecord;

/** Settles within the current turn of microtasks? */
async function settled(promise: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

describe('WorkloadFeed', () => {
  it('admits a namespace once every list has passed it or ended', () => {
    const feed = new WorkloadFeed(['Deployment', 'StatefulSet']);
    expect(feed.admits('a')).toBe(false);
    feed.add(0, [w('a'), w('b')]);
    expect(feed.admits('a')).toBe(false); // the StatefulSets have not passed a
    feed.add(1, [w('c')]);
    expect(feed.admits('a')).toBe(true);
    expect(feed.admits('b')).toBe(false); // the Deployments may hold more of b
    feed.end(0);
    expect(feed.admits('b')).toBe(true);
    expect(feed.admits('c')).toBe(false);
    feed.end(1);
    expect(feed.admits('c')).toBe(true);
    expect(feed.admits('zzz')).toBe(true);
  });

  it('compares keys as the API server orders them: team-1/ before team/', () => {
    const feed = new WorkloadFeed(['Deployment']);
    feed.add(0, [w('team-1')]);
    expect(feed.admits('team')).toBe(false);
    feed.add(0, [w('team')]); // in order: "team-1/" < "team/"
    expect(feed.admits('team-1')).toBe(true);
    expect(feed.admits('team')).toBe(false);
    feed.add(0, [w('teams')]);
    expect(feed.admits('team')).toBe(true);
  });

  it('hands the records over in order: those before attach() on attach, the later ones at once', () => {
    const feed = new WorkloadFeed(['Deployment']);
    feed.add(0, [w('a', '1'), w('a', '2')]);
    expect(feed.take().map((r) => r.name)).toEqual(['1', '2']);
    feed.add(0, [w('a', '3')]);
    const seen: string[] = [];
    feed.attach((records) => seen.push(...records.map((r) => r.name)));
    expect(seen).toEqual(['3']);
    feed.add(0, [w('b', '4')]);
    expect(seen).toEqual(['3', '4']);
  });

  it('an item out of order before any admission of its namespace: its list only admits once it ends', () => {
    const feed = new WorkloadFeed(['Deployment']);
    feed.add(0, [w('a')]);
    feed.add(0, [w('c')]);
    feed.add(0, [w('b')]); // before c: the order is broken, nothing of b was admitted yet
    expect(feed.failed).toBe(false);
    expect(feed.admits('a')).toBe(false);
    feed.end(0);
    expect(feed.admits('b')).toBe(true);
  });

  it('an item out of order at or below an admitted namespace fails the feed', async () => {
    const feed = new WorkloadFeed(['Deployment', 'Job']);
    feed.add(0, [w('a'), w('c')]);
    feed.end(1);
    expect(feed.admits('b')).toBe(true);
    const waiting = feed.whenAdmits('d');
    const ended = feed.whenEnded();
    feed.add(0, [w('b')]); // a pod of b was audited without it
    expect(feed.failed).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(OutOfOrderList);
    await expect(ended).rejects.toBeInstanceOf(OutOfOrderList);
    expect(feed.admits('a')).toBe(false);
  });

  it('a list read namespace by namespace (the RBAC fallback) admits only once it has ended', () => {
    const feed = new WorkloadFeed(['Deployment']);
    feed.unordered(0);
    feed.add(0, [w('a'), w('b')]);
    expect(feed.admits('a')).toBe(false);
    feed.end(0, ['cannot list deployments in 1 namespace(s) (forbidden): c']);
    expect(feed.admits('a')).toBe(true);
  });

  it('whenAdmits waits for the lists, and whenEnded returns their warnings', async () => {
    const feed = new WorkloadFeed(['Deployment', 'Job']);
    const admitted = feed.whenAdmits('a');
    const ended = feed.whenEnded();
    feed.add(0, [w('b')]);
    expect(await settled(admitted)).toBe('pending');
    feed.end(1, ['gap']);
    expect(await settled(admitted)).toBe('resolved');
    expect(await settled(ended)).toBe('pending');
    feed.end(0);
    await expect(ended).resolves.toEqual(['gap']);
  });

  it('whenCovers waits for the lists named and for the namespaces, and counts them as admitted', async () => {
    const feed = new WorkloadFeed(['Deployment', 'DaemonSet']);
    const covered = feed.whenCovers(['istio-system'], [1]);
    feed.add(0, [w('istio-system'), w('team')]);
    expect(await settled(covered)).toBe('pending'); // the DaemonSets have not ended
    feed.end(1);
    expect(await settled(covered)).toBe('resolved');
    feed.add(0, [w('default')]); // istiod's namespace was read for the context: this may change it
    expect(feed.failed).toBe(true);
  });

  it("a list's failure rejects every wait", async () => {
    const feed = new WorkloadFeed(['Deployment']);
    const waiting = feed.whenAdmits('a');
    feed.fail(new Error('boom'));
    await expect(waiting).rejects.toThrow('boom');
    await expect(feed.whenEnded()).rejects.toThrow('boom');
    expect(feed.admits('a')).toBe(false);
    feed.add(0, [w('a')]); // ignored
    expect(feed.take()).toEqual([]);
  });
});

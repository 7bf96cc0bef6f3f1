// WorkloadFeed (src/cluster/workload-feed.ts): a namespace is admitted once every workload list has
// passed it in key order (`<namespace>/` compared as a string) or ended; order broken before an
// admission only makes that list wait for its end, broken at or below one fails the feed.
import { describe, expect, it } from 'vitest';
import { LEAD_RECORDS, OutOfOrderList, WorkloadFeed } from '../../src/cluster/workload-feed.js';
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

describe('WorkloadFeed pacing: a list reads on only as far ahead of the audit as it needs', () => {
  /** `n` records of one list, spread over namespaces `${prefix}-000`, `${prefix}-001`, ... (`perNamespace` each). */
  const records = (prefix: string, n: number, perNamespace = 10, from = 0) =>
    Array.from({ length: n }, (_, i) => w(`${prefix}-${String(from + Math.floor(i / perNamespace)).padStart(3, '0')}`, `app-${i}`));

  it(`waits once it holds ${LEAD_RECORDS} records in namespaces no one has asked about, and reads on when the audit gets to them`, async () => {
    const feed = new WorkloadFeed(['Deployment', 'StatefulSet']);
    feed.add(0, records('ns', LEAD_RECORDS - 10));
    expect(await settled(feed.paced(0))).toBe('resolved');
    feed.add(0, records('ns', 10, 10, (LEAD_RECORDS - 10) / 10));
    const waiting = feed.paced(0);
    expect(await settled(waiting)).toBe('pending');
    expect(await settled(feed.paced(1))).toBe('resolved'); // the other list holds nothing
    // A pod of ns-000 asks: its 10 records no longer count as ahead.
    feed.admits('ns-000');
    expect(await settled(waiting)).toBe('resolved');
    expect(await settled(feed.paced(0))).toBe('resolved');
  });

  it('a namespace asked about and not yet admitted counts too: a pod waiting for a list never waits on its pacing', async () => {
    const feed = new WorkloadFeed(['Deployment', 'StatefulSet']);
    feed.add(1, records('a', LEAD_RECORDS, 1000)); // all in a-000
    const paced = feed.paced(1);
    expect(await settled(paced)).toBe('pending');
    // A pod of b: the StatefulSets are past a-000 only (not past b), the Deployments hold nothing yet.
    const admitted = feed.whenAdmits('b');
    expect(await settled(paced)).toBe('resolved');
    feed.add(1, [w('c')]);
    feed.end(0);
    expect(await settled(admitted)).toBe('resolved');
  });

  it("the lists the base state waits to end never wait; whenCovers' namespaces count as asked about", async () => {
    const feed = new WorkloadFeed(['Deployment', 'DaemonSet']);
    feed.add(0, records('ns', LEAD_RECORDS));
    feed.add(1, records('ns', 2 * LEAD_RECORDS)); // past ns-050 still more than the lead
    const deployments = feed.paced(0);
    const daemonSets = feed.paced(1);
    expect(await settled(deployments)).toBe('pending');
    expect(await settled(daemonSets)).toBe('pending');
    const covered = feed.whenCovers(['ns-050'], [1]);
    expect(await settled(daemonSets)).toBe('resolved');
    expect(await settled(feed.paced(1))).toBe('resolved');
    // Up to ns-050: 510 records of the Deployments are asked about, fewer than the lead remain ahead.
    expect(await settled(deployments)).toBe('resolved');
    feed.end(1);
    expect(await settled(covered)).toBe('resolved');
  });

  it('every list reads to its end once the pods are all in (whenEnded), or once the feed fails', async () => {
    const ended = new WorkloadFeed(['Deployment']);
    ended.add(0, records('ns', LEAD_RECORDS));
    const waiting = ended.paced(0);
    expect(await settled(waiting)).toBe('pending');
    const gaps = ended.whenEnded();
    expect(await settled(waiting)).toBe('resolved');
    expect(await settled(ended.paced(0))).toBe('resolved');
    ended.end(0);
    expect(await gaps).toEqual([]);

    const failed = new WorkloadFeed(['Deployment']);
    failed.add(0, records('ns', LEAD_RECORDS));
    const stopped = failed.paced(0);
    failed.fail(new Error('gone'));
    expect(await settled(stopped)).toBe('resolved');
    expect(failed.failed).toBe(true);
  });

  it('the lead is the feed\'s own (the live source gives two pages\' worth)', async () => {
    const feed = new WorkloadFeed(['Deployment'], 4);
    feed.add(0, records('ns', 3, 1));
    expect(await settled(feed.paced(0))).toBe('resolved');
    feed.add(0, records('ns', 1, 1, 3));
    expect(await settled(feed.paced(0))).toBe('pending');
  });

  it('a list read namespace by namespace (unordered) never waits: it admits nothing until it ends', async () => {
    const feed = new WorkloadFeed(['Deployment']);
    feed.unordered(0);
    feed.add(0, records('ns', 2 * LEAD_RECORDS));
    expect(await settled(feed.paced(0))).toBe('resolved');
  });
});

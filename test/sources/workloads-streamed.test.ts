// The live source's workload lists streamed into the audit (LiveSource.loadBaseStreaming, against the
// test cluster): the base state is ready while a workload list is still held up, pods are audited
// meanwhile as far as the lists have come, and status gives the report it gives with every workload
// read first; a workload list's failure still fails the audit, its RBAC gaps are still reported.
import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditCluster } from '../../src/cli/audit-cluster.js';
import { LiveSource } from '../../src/cluster/live-source.js';
import { readScope } from '../../src/cluster/read-scope.js';
import { startTestCluster, type TestCluster } from '../cluster/server.js';

const ALL = { namespace: null, labelSelector: null };

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ synthetic: { pods: 200, namespaces: 8 } });
});
afterAll(async () => {
  await cluster?.close();
});
beforeEach(() => {
  cluster.faults.clear();
  cluster.clearRequests();
});

/** Workload lists in pages of 8 (4 x the page size). */
const open = () => LiveSource.open({ kubeconfig: cluster.kubeconfigPath, requestTimeoutMs: 10_000, pageSize: 2 });

describe('workloads streamed into the audit', () => {
  it('has more than one page of Deployments to stream', () => {
    expect(cluster.store.list('Deployment').length).toBeGreaterThan(16);
  });

  it('the base state is ready while the Deployments list is held up, and the rest comes through the feed', async () => {
    const held = cluster.faults.add({ resource: 'deployments', verb: 'list', page: 2, latencyMs: 1500 });
    const source = await open();
    const { base, pods, workloads } = await readScope(source, ALL, { streamWorkloads: true });
    expect(workloads).toBeDefined();
    expect(held.hits).toBe(1); // page 2 was asked for and is still on its way
    // Page 1 holds the first 8 Deployments in key order: the namespaces before the 8th one's are
    // admitted, the 8th one's (it may hold more) and the later ones are not.
    const keys = cluster.store.list('Deployment').map((d) => `${d.metadata.namespace}/${d.metadata.name}`).sort();
    const eighth = keys[7]!.split('/')[0]!;
    const namespaces = [...new Set(keys.map((k) => k.split('/')[0]!))];
    expect(namespaces.indexOf(eighth)).toBeGreaterThan(0);
    // The other (one-page) lists end while page 2 is held.
    await workloads!.whenAdmits(namespaces[namespaces.indexOf(eighth) - 1]!);
    expect(held.hits).toBe(1);
    for (const ns of namespaces.slice(0, namespaces.indexOf(eighth))) expect(workloads!.admits(ns)).toBe(true);
    for (const ns of namespaces.slice(namespaces.indexOf(eighth))) expect(workloads!.admits(ns)).toBe(false);
    let ended = false;
    void workloads!.whenEnded().then(() => (ended = true));
    await tick();
    expect(ended).toBe(false);
    const later: string[] = [];
    workloads!.attach((records) => later.push(...records.map((w) => `${w.kind}/${w.namespace}/${w.name}`)));
    for await (const page of pods) void page;
    await workloads!.whenEnded();
    await source.close();
    const all = [...base.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`), ...later];
    expect(new Set(all).size).toBe(all.length);
    const expected = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].flatMap((kind) => cluster.store.list(kind).map((o) => `${kind}/${o.metadata.namespace}/${o.metadata.name}`));
    expect(all.sort()).toEqual(expected.sort());
  });

  it('status gives the report it gives with every workload read first', async () => {
    cluster.faults.add({ resource: 'deployments', verb: 'list', page: 2, latencyMs: 300 });
    const streamed = await LiveSource.open({ kubeconfig: cluster.kubeconfigPath, requestTimeoutMs: 10_000, pageSize: 2 });
    const report = await auditCluster(streamed, ALL);
    await streamed.close();
    const whole = await open();
    const expected = await auditCluster(whole, ALL, { streamWorkloads: false });
    await whole.close();
    expect(report).toEqual(expected);
    expect(report.pods.length).toBe(200);
  });

  it("a workload list's failure after the base state fails the audit", async () => {
    // The last page of Deployments, well past istio-system's (the base state waits for those).
    const keys = cluster.store.list('Deployment').map((d) => `${d.metadata.namespace}/${d.metadata.name}`).sort();
    const last = Math.ceil(keys.length / 8);
    expect(keys.filter((k) => k <= 'istio-system/~').length).toBeLessThan((last - 2) * 8);
    cluster.faults.add({ resource: 'deployments', verb: 'list', page: last, status: 400, times: 99 });
    const source = await open();
    const { pods, workloads } = await readScope(source, ALL, { streamWorkloads: true });
    await expect(workloads!.whenEnded()).rejects.toMatchObject({ status: 400 });
    for await (const page of pods) void page;
    await source.close();
    const again = await open();
    await expect(auditCluster(again, ALL)).rejects.toMatchObject({ status: 400 });
    await again.close();
  });

  it('a workload list forbidden cluster-wide is read namespace by namespace, its gaps reported', async () => {
    const lift = cluster.forbid({ namespace: 'team-0002', resource: 'deployments' });
    try {
      const source = await open();
      const report = await auditCluster(source, ALL);
      await source.close();
      expect(report.source.partial).toBe(true);
      expect(report.source.warnings).toContain('cannot list deployments in 1 namespace(s) (forbidden): team-0002: their pods are attributed to workloads by name only');
      expect(report.pods.length).toBe(200);
      const whole = await open();
      expect(report).toEqual(await auditCluster(whole, ALL, { streamWorkloads: false }));
      await whole.close();
    } finally {
      lift();
    }
  });
});

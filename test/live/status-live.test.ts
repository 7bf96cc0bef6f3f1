import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import type { TestCluster } from '../cluster/server.js';
import { demoCluster, writes } from './live-cluster.js';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await demoCluster();
});
afterAll(async () => {
  await cluster?.close();
});
beforeEach(() => {
  cluster.faults.clear();
  cluster.clearRequests();
});

const live = (args: string[], extra: string[] = []) => runCli([...args, '--kubeconfig', cluster.kubeconfigPath, ...extra]);
const withoutSource = (json: string) => {
  const report = JSON.parse(json);
  delete report.source;
  return report;
};

describe('status and explain against a live API', () => {
  it('status -A -o json equals the snapshot of the same state, using only GET requests', async () => {
    const fromLive = await live(['status', '-A', '-o', 'json']);
    expect(fromLive.code, fromLive.stderr).toBe(0);
    const fromDemo = await runCli(['status', '--demo', '-o', 'json']);
    expect(withoutSource(fromLive.stdout)).toEqual(withoutSource(fromDemo.stdout));
    expect(JSON.parse(fromLive.stdout).source).toMatchObject({ type: 'live', partial: false });
    expect(cluster.requests.length).toBeGreaterThan(0);
    expect(writes(cluster)).toEqual([]);
  });

  it('explain equals the snapshot explanation and fetches only what it needs', async () => {
    const demo = JSON.parse((await runCli(['status', '--demo', '-o', 'json'])).stdout);
    for (const pod of demo.pods.filter((_: unknown, i: number) => i % 4 === 0)) {
      cluster.clearRequests();
      const a = await live(['explain', `pod/${pod.name}`, '-n', pod.namespace, '-o', 'json']);
      const b = await runCli(['explain', `pod/${pod.name}`, '-n', pod.namespace, '--demo', '-o', 'json']);
      expect(a.code, a.stderr).toBe(0);
      expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
      expect(writes(cluster)).toEqual([]);
      // One pod needs no pod or workload list: the pod and its owner chain are read by name.
      const lists = cluster.requests.filter((r) => r.verb === 'list' && ['pods', 'replicasets', 'deployments', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'].includes(r.resource ?? ''));
      expect(lists).toEqual([]);
    }
    const dep = await live(['explain', 'deployment/cart', '-n', 'shop', '-o', 'json']);
    const depDemo = await runCli(['explain', 'deployment/cart', '-n', 'shop', '--demo', '-o', 'json']);
    expect(JSON.parse(dep.stdout)).toEqual(JSON.parse(depDemo.stdout));
  }, 120_000); // explains every demo pod live and from the snapshot: a minute on a loaded 2-core machine

  it('pages through a cluster larger than one page', async () => {
    const small = await live(['status', '-A', '-o', 'json', '--chunk-size', '4']);
    const demo = await runCli(['status', '--demo', '-o', 'json']);
    expect(withoutSource(small.stdout)).toEqual(withoutSource(demo.stdout));
    const podLists = cluster.requests.filter((r) => r.resource === 'pods' && r.verb === 'list');
    expect(podLists.length).toBe(Math.ceil(JSON.parse(demo.stdout).summary.pods / 4));
    expect(podLists.slice(1).every((r) => r.query.continue)).toBe(true);
    expect(podLists.every((r) => r.query.limit === '4')).toBe(true);
    // status streams workloads to the audit (each pod waits for its namespace's only): pages as large as the pods'.
    const deploymentLists = cluster.requests.filter((r) => r.resource === 'deployments' && r.verb === 'list');
    expect(deploymentLists.length).toBeGreaterThan(1);
    expect(deploymentLists.every((r) => r.query.limit === '4')).toBe(true);
    // So do namespaces (every pod waits for them too).
    const namespaceLists = cluster.requests.filter((r) => r.resource === 'namespaces' && r.verb === 'list');
    expect(namespaceLists.length).toBeGreaterThan(0);
    expect(namespaceLists.every((r) => r.query.limit === '16')).toBe(true);
    const deployments = JSON.parse((await live(['status', '-A', '-o', 'json'])).stdout).pods.filter((p: { workload: { kind: string } | null }) => p.workload?.kind === 'Deployment');
    expect(deployments.length).toBeGreaterThan(16); // more than one workload page at --chunk-size 4
  });

  it('rollout, whose plan waits for every workload, lists them in pages 4 times larger (each page is a round trip)', async () => {
    const before = cluster.requests.length;
    const r = await live(['rollout', '-A', '--dry-run', '--chunk-size', '4']);
    expect(r.code, r.stderr).toBe(0);
    const deploymentLists = cluster.requests.slice(before).filter((q) => q.resource === 'deployments' && q.verb === 'list');
    expect(deploymentLists.length).toBeGreaterThan(1);
    expect(deploymentLists.every((q) => q.query.limit === '16')).toBe(true);
  });

  it.each([
    ['429 with Retry-After', { resource: 'pods', verb: 'list', status: 429, times: 1 }],
    ['500', { resource: 'pods', verb: 'list', status: 500, times: 2 }],
    ['connection reset mid-list', { resource: 'pods', verb: 'list', page: 2, resetConnection: true, times: 1 }],
    ['410 on continue', { resource: 'pods', verb: 'list', page: 3, status: 410, times: 1 }],
    ['500 on webhooks', { resource: 'mutatingwebhookconfigurations', status: 500, times: 1 }],
  ] as const)('survives %s', async (_name, rule) => {
    const handle = cluster.faults.add(rule as never);
    const r = await live(['status', '-A', '-o', 'json', '--chunk-size', '5']);
    handle.remove();
    expect(r.code, r.stderr).toBe(0);
    expect(handle.hits).toBeGreaterThan(0);
    const demo = await runCli(['status', '--demo', '-o', 'json']);
    expect(withoutSource(r.stdout)).toEqual(withoutSource(demo.stdout));
  });

  it('reports RBAC gaps as a partial result with a warning naming what could not be read', async () => {
    const lift = cluster.forbid({ namespace: 'shop', resource: 'pods' });
    const r = await live(['status', '-A', '-o', 'json']);
    const table = await live(['status', '-A']);
    lift();
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.source.partial).toBe(true);
    expect(report.source.warnings.join('\n')).toMatch(/cannot list pods in 1 namespace\(s\) \(forbidden\): shop/);
    expect(r.stderr).toMatch(/PARTIAL/);
    expect(report.pods.some((p: { namespace: string }) => p.namespace === 'shop')).toBe(false);
    expect(report.pods.some((p: { namespace: string }) => p.namespace === 'bookinfo')).toBe(true);
    expect(table.stdout).toMatch(/PARTIAL/);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('errors against a live API', () => {
  it('unreachable server, unknown context, malformed kubeconfig, TLS and auth errors: one line, exit 1', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'kinject-kc-'));
    const unreachable = join(dir, 'unreachable');
    const port = await closedPort();
    writeFileSync(unreachable, cluster.kubeconfig().replace(/server: .*/, `server: http://127.0.0.1:${port}`));
    const malformed = join(dir, 'malformed');
    writeFileSync(malformed, 'clusters: [\n');
    const cases: [string[], RegExp][] = [
      [['status', '--kubeconfig', unreachable], new RegExp(`^error: cannot reach the Kubernetes API at http://127\\.0\\.0\\.1:${port}: connection refused$`)],
      [['status', '--kubeconfig', malformed], /^error: kubeconfig .*malformed: .+$/],
      [['status', '--kubeconfig', cluster.kubeconfigPath, '--context', 'nope'], /^error: context "nope" does not exist in the kubeconfig$/],
      [['explain', 'pod/nope', '-n', 'shop', '--kubeconfig', cluster.kubeconfigPath], /^error: pod "nope" not found in namespace "shop"$/],
      [['status', '-n', 'nope', '--kubeconfig', cluster.kubeconfigPath], /^error: namespace "nope" not found$/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(message);
    }
  });
});

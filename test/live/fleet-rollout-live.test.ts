// rollout over several contexts end to end: two test clusters with simulated controllers in one
// kubeconfig; one cluster at a time, in order, stopping at the first failure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { mergeKubeconfigYamls } from '../cluster/kubeconfig.js';
import { startTestCluster, type ControllerOptions, type TestCluster } from '../cluster/server.js';
import { runCli } from '../cli/run-cli.js';
import { demoObjects } from './live-cluster.js';

const EAST_FILE = fileURLToPath(new URL('../../demo/east.yaml', import.meta.url));

interface Fleet {
  kubeconfig: string;
  clusters: Record<string, TestCluster>;
  /** Which cluster received each request, in the order they arrived across both. */
  order: string[];
}

/** A demo cluster ("demo") and an east cluster ("east") with controllers, closed when the test ends. */
async function startFleet(test: TestContext, controllers: Record<'demo' | 'east', ControllerOptions> = { demo: {}, east: {} }): Promise<Fleet> {
  const [demo, east] = await Promise.all([
    startTestCluster({ objects: demoObjects(), controllers: { tickMs: 25, ...controllers.demo } }),
    startTestCluster({ objects: readSnapshotObjects(EAST_FILE), controllers: { tickMs: 25, ...controllers.east } }),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'fleet-rollout-'));
  test.onTestFinished(async () => {
    await Promise.all([demo.close(), east.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, mergeKubeconfigYamls([demo.kubeconfig({ context: 'demo' }), east.kubeconfig({ context: 'east' })]));
  const order: string[] = [];
  for (const [name, c] of Object.entries({ demo, east })) {
    const push = c.requests.push.bind(c.requests);
    c.requests.push = (...items) => {
      for (const _ of items) order.push(name);
      return push(...items);
    };
  }
  return { kubeconfig, clusters: { demo, east }, order };
}

const patches = (c: TestCluster) => c.requests.filter((r) => r.method === 'PATCH');
/** The order as runs of the same cluster: ['east', 'demo'] when every east request came before every demo one. */
const runs = (order: string[]) => order.filter((name, i) => i === 0 || order[i - 1] !== name);

describe.concurrent('rollout over several contexts', () => {
  it('--context east,demo --yes: east first, then demo, each converged; never both at once', async (test) => {
    const f = await startFleet(test);
    const r = await runCli(['rollout', '-n', 'shop', '--context', 'east,demo', '--yes', '--timeout', '60s', '--kubeconfig', f.kubeconfig]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout.indexOf('==> context east <==')).toBeLessThan(r.stdout.indexOf('==> context demo <=='));
    expect(r.stdout).toMatch(/Contexts, in order:\nCONTEXT\s+OUTCOME\s+MESSAGE\neast\s+done\s+1 workload\(s\) rolled out, 0 pod\(s\) still drift\ndemo\s+done\s+2 workload\(s\) rolled out, 1 pod\(s\) still drift\n$/);
    expect(runs(f.order)).toEqual(['east', 'demo']);
    expect(patches(f.clusters.east!).map((q) => `${q.resource}/${q.name}`)).toEqual(['deployments/checkout']);
    expect(patches(f.clusters.demo!).map((q) => `${q.resource}/${q.name}`).sort()).toEqual(['deployments/cart', 'deployments/checkout']);
  });

  it('a failed rollout in the first context stops the run: the next context is skipped and gets no write', async (test) => {
    const f = await startFleet(test, {
      demo: { failing: (w) => w.kind === 'Deployment' && w.namespace === 'shop' && w.name === 'checkout', progressDeadlineTicks: 10 },
      east: {},
    });
    f.clusters.east!.clearRequests();
    const r = await runCli(['rollout', '-n', 'shop', '--context', 'demo,east', '--yes', '--max-concurrent', '1', '--timeout', '60s', '--kubeconfig', f.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/shop\s+Deployment\/checkout\s+restart\s+failed\s+exceeded its progress deadline/);
    expect(r.stdout).not.toContain('==> context east <==');
    expect(r.stdout).toMatch(/demo\s+failed\s+deployment\/checkout in shop: exceeded its progress deadline\neast\s+skipped\s+not started: an earlier context failed\n$/);
    expect(r.stderr).toMatch(/^error: context demo failed: deployment\/checkout in shop: exceeded its progress deadline; 1 later context\(s\) skipped$/m);
    expect(f.clusters.east!.requests.length).toBe(0);
  });

  it('-o json: a FleetRolloutResult with each context\'s outcome and document', async (test) => {
    const f = await startFleet(test, {
      demo: { failing: (w) => w.kind === 'Deployment' && w.namespace === 'shop' && w.name === 'checkout', progressDeadlineTicks: 10 },
      east: {},
    });
    const j = await runCli(['rollout', '-n', 'shop', '--context', 'demo,east', '--yes', '--max-concurrent', '1', '--timeout', '60s', '-o', 'json', '--kubeconfig', f.kubeconfig]);
    expect(j.code).toBe(1);
    const out = JSON.parse(j.stdout);
    expect(out.kind).toBe('FleetRolloutResult');
    expect(out.clusters.map((c: { name: string; outcome: string }) => `${c.name}:${c.outcome}`)).toEqual(['demo:failed', 'east:skipped']);
    expect(out.clusters[0].document.result.stoppedBy).toContain('deployment/checkout in shop');
    expect(f.clusters.east!.requests.length).toBe(0);
  });

  it('an unreachable context stops the run before the contexts after it', async (test) => {
    const f = await startFleet(test);
    await f.clusters.east!.close();
    f.clusters.east!.close = async () => undefined;
    const r = await runCli(['rollout', '-n', 'shop', '--context', 'east,demo', '--yes', '--timeout', '60s', '--kubeconfig', f.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/east\s+failed\s+cannot reach the Kubernetes API at .*connection refused\ndemo\s+skipped\s+not started: an earlier context failed\n$/);
    expect(patches(f.clusters.demo!)).toEqual([]);
    expect(f.clusters.demo!.requests.length).toBe(0);
  });
});

// End to end: the built `kubectl inject rollout` against the test cluster with simulated controllers
// (Deployments, StatefulSets, DaemonSets, pod start and sidecar injection driven by the cluster's own
// webhooks and injector ConfigMaps), on the demo state.
import { describe, expect, it, type TestContext } from 'vitest';
import type { ControllerOptions, RequestRecord, TestCluster } from '../cluster/server.js';
import { json } from '../cli/run-cli.js';
import { demoCluster, live, writes } from './live-cluster.js';

/** A fresh demo cluster with controllers for one test (the tests run concurrently), closed when it ends. */
async function start(test: TestContext, controllers: ControllerOptions = {}): Promise<TestCluster> {
  const cluster = await demoCluster({ controllers: { tickMs: 25, ...controllers } });
  test.onTestFinished(() => cluster.close());
  return cluster;
}

/** PATCH requests to a workload (kind plural, e.g. deployments). */
const patches = (c: TestCluster, resource: string, namespace: string, name: string) =>
  c.requests.filter((r) => r.method === 'PATCH' && r.resource === resource && r.namespace === namespace && r.name === name && r.subresource === undefined);

/** Resolves once a request matching `predicate` was received. */
async function whenRequest(c: TestCluster, predicate: (r: RequestRecord) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!c.requests.some(predicate)) {
    if (Date.now() > deadline) throw new Error('the expected request never came');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface PodReport {
  namespace: string;
  name: string;
  workload: { kind: string; name: string } | null;
  drift: string[];
}

describe.concurrent('rollout against a live cluster with controllers', () => {
  it('rollout -A converges every workload it plans; bare pods and Jobs stay manual actions', async (test) => {
    const c = await start(test);
    const manualPods = ['bookinfo/toolbox', 'shop/db-migrate-29410560-h6p7m'].map((key) => {
      const [namespace, name] = key.split('/') as [string, string];
      return { namespace, name, uid: c.store.get('Pod', namespace, name)!.metadata.uid };
    });

    const r = await live(c, ['rollout', '-A', '--yes', '--timeout', '60s', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.result.stoppedBy).toBeNull();
    const planned = out.plan.workloads.filter((w: { action: string }) => w.action === 'restart' || w.action === 'wait');
    expect(planned.map((w: { namespace: string; kind: string; name: string }) => `${w.namespace}/${w.kind}/${w.name}`)).toEqual([
      'bookinfo/Deployment/details-v1',
      'bookinfo/Deployment/ratings-v1',
      'migrating/Deployment/orders',
      // kube-injected with an old proxy: the webhook re-injects it on restart.
      'monitoring/Deployment/prometheus',
      'shop/Deployment/cart',
      'shop/Deployment/checkout',
      'staging/Deployment/inventory',
      // Mid-migration to ambient: a restart drops their sidecars (SidecarInAmbient).
      'storefront/Deployment/api',
      'storefront/Deployment/web',
    ]);
    expect(out.result.workloads.map((w: { outcome: string }) => w.outcome)).toEqual(planned.map(() => 'rolled-out'));
    // The canary injector would refuse search's new pods: planned as blocked, never restarted.
    const blocked = out.plan.workloads.filter((w: { action: string }) => w.action === 'blocked');
    expect(blocked.map((w: { namespace: string; name: string }) => `${w.namespace}/${w.name}`)).toEqual(['shop/search']);
    expect(blocked[0].reason).toContain('requested template "debug-tools" not found');
    expect(patches(c, 'deployments', 'shop', 'search')).toEqual([]);
    expect(out.plan.manual.map((m: { kind: string; name: string }) => `${m.kind}/${m.name}`).sort()).toEqual(['Job/db-migrate-29410560', 'Pod/toolbox']);
    // Only the manual actions still drift, and the ambient pods ztunnel cannot capture: the demo's ztunnel
    // is crash-looping on one node, so the simulated CNI agent captures nothing new (no restart fixes it).
    const notCaptured = out.remainingDrift.filter((p: PodReport) => p.drift.join() === 'NotCaptured');
    expect(out.remainingDrift.filter((p: PodReport) => !notCaptured.includes(p)).map((p: PodReport) => `${p.namespace}/${p.name}`).sort()).toEqual(manualPods.map((p) => `${p.namespace}/${p.name}`));
    expect(notCaptured.map((p: PodReport) => `${p.namespace}/${p.workload?.name}`).sort()).toEqual(['ambient-apps/ratings', 'storefront/api', 'storefront/web', 'storefront/web']);
    for (const p of notCaptured) expect((p as PodReport & { notCaptured: string }).notCaptured).toMatch(/ztunnel istio-system\/ztunnel is not ready/);

    // Each planned workload was restarted exactly once (what kubectl rollout restart sends).
    for (const w of planned) {
      const sent = patches(c, 'deployments', w.namespace, w.name);
      expect(sent, `${w.namespace}/${w.name}`).toHaveLength(1);
      expect(sent[0]?.contentType).toBe('application/strategic-merge-patch+json');
    }
    // The manual actions were reported, not carried out.
    for (const p of manualPods) expect(c.store.get('Pod', p.namespace, p.name)?.metadata.uid).toBe(p.uid);
    expect(c.requests.filter((q) => q.method === 'DELETE')).toEqual([]);

    const status = await live(c, ['status', '-A', '-o', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const pods: PodReport[] = json(status).pods;
    for (const w of planned) {
      const own = pods.filter((p) => p.namespace === w.namespace && p.workload?.kind === w.kind && p.workload?.name === w.name);
      expect(own.length, `${w.namespace}/${w.name}`).toBeGreaterThan(0);
      // The storefront pods lost their sidecar; what remains is ztunnel's to capture (see above).
      for (const p of own) expect(p.drift, `${p.namespace}/${p.name}`).toEqual(w.namespace === 'storefront' ? ['NotCaptured'] : []);
    }
    expect(pods.filter((p) => p.drift.length > 0 && p.drift.join() !== 'NotCaptured').map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(manualPods.map((p) => `${p.namespace}/${p.name}`));
  });

  it('rollout -n shop --revision canary relabels only the injection label and moves every workload to canary', async (test) => {
    const c = await start(test);
    const ns = c.store.get('Namespace', undefined, 'shop')!;
    ns.metadata.labels = { ...ns.metadata.labels, 'istio.io/rev': 'stable', team: 'shop', 'app.kubernetes.io/part-of': 'webshop' };
    c.store.put(ns);

    const r = await live(c, ['rollout', '-n', 'shop', '--revision', 'canary', '--yes', '--timeout', '60s']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // cart runs stable and checkout a stale canary template: both restart; frontend already runs canary.
    expect(r.stdout).toMatch(/shop\s+Deployment\/cart\s+restart\s+rolled-out/);
    expect(r.stdout).toMatch(/shop\s+Deployment\/checkout\s+restart\s+rolled-out/);
    expect(r.stdout).toContain('Re-audit: 2 workloads converged; 1 object still drifts:\n  shop/Job/db-migrate-29410560: MissingSidecar\n');

    expect(c.store.get('Namespace', undefined, 'shop')!.metadata.labels).toEqual({
      'kubernetes.io/metadata.name': 'shop',
      'istio.io/rev': 'canary',
      team: 'shop',
      'app.kubernetes.io/part-of': 'webshop',
    });
    const nsPatches = c.requests.filter((q) => q.method === 'PATCH' && q.resource === 'namespaces');
    expect(nsPatches.map((q) => [q.name, q.contentType])).toEqual([['shop', 'application/merge-patch+json']]);

    expect(patches(c, 'deployments', 'shop', 'cart')).toHaveLength(1);
    expect(patches(c, 'deployments', 'shop', 'checkout')).toHaveLength(1);
    expect(patches(c, 'deployments', 'shop', 'frontend')).toEqual([]);
    for (const name of ['cart', 'checkout', 'frontend']) {
      const pods = c.store.list('Pod', 'shop').filter((p) => p.metadata.labels?.app === name);
      expect(pods.length).toBeGreaterThan(0);
      for (const pod of pods) {
        expect(JSON.parse(pod.metadata.annotations['sidecar.istio.io/status']).revision, pod.metadata.name).toBe('canary');
        const proxy = pod.spec.initContainers.find((x: { name: string }) => x.name === 'istio-proxy');
        expect(proxy.image).toBe('docker.io/istio/proxyv2:1.28.0');
      }
    }
    const status = json(await live(c, ['status', '-n', 'shop', '-o', 'json']));
    expect(status.pods.filter((p: PodReport) => p.drift.length > 0).map((p: PodReport) => p.name).sort()).toEqual(['db-migrate-29410560-h6p7m']);
  });

  it('rolls out StatefulSets and DaemonSets too, several at once', async (test) => {
    const c = await start(test);
    // A DaemonSet created through the API: the controllers bring up one injected (stable) pod per node.
    c.store.create(
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'log-agent', namespace: 'bookinfo' },
        spec: {
          selector: { matchLabels: { app: 'log-agent' } },
          template: { metadata: { labels: { app: 'log-agent' } }, spec: { containers: [{ name: 'agent', image: 'example/agent:1' }] } },
        },
      },
      {},
    );
    await c.controllers!.settle();
    const agents = () => c.store.list('Pod', 'bookinfo').filter((p) => p.metadata.labels?.app === 'log-agent');
    expect(agents().map((p) => JSON.parse(p.metadata.annotations['sidecar.istio.io/status']).revision)).toEqual(['stable', 'stable', 'stable']);

    const r = await live(c, ['rollout', '-n', 'bookinfo', '--revision', 'canary', '--yes', '--max-concurrent', '3', '--timeout', '60s', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.result.workloads.map((w: { kind: string; name: string; outcome: string }) => `${w.kind}/${w.name}:${w.outcome}`)).toEqual([
      'DaemonSet/log-agent:rolled-out',
      'Deployment/details-v1:rolled-out',
      'Deployment/productpage-v1:rolled-out',
      'Deployment/ratings-v1:rolled-out',
      'Deployment/reviews-v1:rolled-out',
      'StatefulSet/mysql:rolled-out',
    ]);
    expect(patches(c, 'daemonsets', 'bookinfo', 'log-agent')).toHaveLength(1);
    expect(patches(c, 'statefulsets', 'bookinfo', 'mysql')).toHaveLength(1);
    expect(out.remainingDrift.map((p: PodReport) => p.name)).toEqual(['toolbox']);
    expect(agents().map((p) => JSON.parse(p.metadata.annotations['sidecar.istio.io/status']).revision)).toEqual(['canary', 'canary', 'canary']);
    expect(JSON.parse(c.store.get('Pod', 'bookinfo', 'mysql-0')!.metadata.annotations['sidecar.istio.io/status']).revision).toBe('canary');
  });

  it('--dry-run sends no write request', async (test) => {
    const c = await start(test);
    for (const args of [
      ['rollout', '-A', '--dry-run'],
      ['rollout', '-n', 'shop', '--revision', 'stable', '--dry-run', '-o', 'json'],
    ]) {
      c.clearRequests();
      const r = await live(c, args);
      expect(r.code, r.stderr).toBe(0);
      expect(c.requests.length).toBeGreaterThan(0);
      expect(c.requests.every((q) => q.method === 'GET')).toBe(true);
      expect(writes(c)).toEqual([]);
    }
    await c.controllers!.settle();
    expect(c.controllers!.ticks).toBeGreaterThan(0);
    expect(c.store.get('Namespace', undefined, 'shop')!.metadata.labels['istio.io/rev']).toBe('canary');
  });

  it('a failing workload stops the run with exit 1 and a clear report; nothing after it is started', async (test) => {
    const c = await start(test, { failing: (w) => w.kind === 'Deployment' && w.namespace === 'shop' && w.name === 'checkout', progressDeadlineTicks: 10 });
    const r = await live(c, ['rollout', '-n', 'shop', '--revision', 'stable', '--yes', '--max-concurrent', '1', '--timeout', '60s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/shop\s+Deployment\/checkout\s+restart\s+failed\s+exceeded its progress deadline/);
    expect(r.stdout).toMatch(/shop\s+Deployment\/frontend\s+restart\s+not-started\s+not started: the run stopped first/);
    expect(r.stdout).toContain('Stopped early: deployment/checkout in shop: exceeded its progress deadline');
    expect(patches(c, 'deployments', 'shop', 'checkout')).toHaveLength(1);
    expect(patches(c, 'deployments', 'shop', 'frontend')).toEqual([]);
    // The old checkout pod still serves; the new one crash-loops.
    const checkout = c.store.list('Pod', 'shop').filter((p) => p.metadata.labels?.app === 'checkout');
    expect(checkout.map((p) => p.status.phase)).toEqual(['Running', 'Running']);
    expect(checkout.some((p) => p.metadata.name === 'checkout-cqf2zr7jg9-7t659')).toBe(true);
  });

  it('an interrupted run, re-run, restarts nothing twice and finishes', async (test) => {
    const c = await start(test, { paused: true });
    // First run: cart is restarted, but its rollout does not progress before the deadline.
    const first = await live(c, ['rollout', '-n', 'shop', '--yes', '--max-concurrent', '1', '--timeout', '1s']);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/shop\s+Deployment\/cart\s+restart\s+timed-out/);
    expect(first.stdout).toMatch(/shop\s+Deployment\/checkout\s+restart\s+not-started/);
    expect(patches(c, 'deployments', 'shop', 'cart')).toHaveLength(1);
    expect(patches(c, 'deployments', 'shop', 'checkout')).toEqual([]);

    // The cluster catches up; the re-run leaves cart alone (its pods no longer drift) and does the rest.
    c.controllers!.resume();
    await c.controllers!.settle();
    const second = await live(c, ['rollout', '-n', 'shop', '--yes', '--max-concurrent', '1', '--timeout', '60s', '-o', 'json']);
    expect(second.code, second.stderr).toBe(0);
    const out = json(second);
    expect(out.plan.workloads.map((w: { name: string; action: string }) => `${w.name}:${w.action}`)).toEqual(['checkout:restart', 'search:blocked']);
    expect(out.result.workloads.map((w: { name: string; outcome: string }) => `${w.name}:${w.outcome}`)).toEqual(['checkout:rolled-out']);
    expect(patches(c, 'deployments', 'shop', 'cart')).toHaveLength(1);
    expect(patches(c, 'deployments', 'shop', 'checkout')).toHaveLength(1);
  });

  it('a re-run while the interrupted rollout is still in progress waits for it instead of restarting it', async (test) => {
    const c = await start(test, { paused: true });
    const first = await live(c, ['rollout', '-n', 'shop', '--yes', '--max-concurrent', '1', '--timeout', '1s']);
    expect(first.code).toBe(1);
    c.clearRequests();
    // Still paused: cart's new generation is not observed, so the plan waits for it.
    const running = live(c, ['rollout', '-n', 'shop', '--yes', '--max-concurrent', '1', '--timeout', '60s', '-o', 'json']);
    await whenRequest(c, (q) => q.method === 'GET' && q.resource === 'deployments' && q.name === 'cart');
    c.controllers!.resume();
    const second = await running;
    expect(second.code, second.stderr).toBe(0);
    const out = json(second);
    expect(out.result.workloads.map((w: { name: string; action: string; outcome: string }) => `${w.name}:${w.action}:${w.outcome}`)).toEqual([
      'cart:wait:rolled-out',
      'checkout:restart:rolled-out',
    ]);
    expect(patches(c, 'deployments', 'shop', 'cart')).toEqual([]);
    expect(out.remainingDrift.map((p: PodReport) => p.name)).toEqual(['db-migrate-29410560-h6p7m']);
  });

  it('waits for a rollout already in progress instead of restarting it', async (test) => {
    const c = await start(test, { paused: true });
    const cart = c.store.get('Deployment', 'shop', 'cart')!;
    cart.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-11-20T10:00:00Z' };
    const stored = c.store.put(cart);
    expect(stored.metadata.generation).toBeGreaterThan(stored.status.observedGeneration);

    const running = live(c, ['rollout', '-n', 'shop', '--yes', '--max-concurrent', '1', '--timeout', '60s', '-o', 'json']);
    await whenRequest(c, (q) => q.method === 'GET' && q.resource === 'deployments' && q.name === 'cart');
    c.controllers!.resume();
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    const planned = out.plan.workloads.find((w: { name: string }) => w.name === 'cart');
    expect(planned).toMatchObject({ action: 'wait' });
    expect(planned.reason).toMatch(/rollout already in progress/);
    expect(out.result.workloads.find((w: { name: string }) => w.name === 'cart')).toMatchObject({ action: 'wait', outcome: 'rolled-out' });
    expect(patches(c, 'deployments', 'shop', 'cart')).toEqual([]);
    expect(patches(c, 'deployments', 'shop', 'checkout')).toHaveLength(1);
    // The rollout it waited for brought cart's pods to canary.
    const pods = c.store.list('Pod', 'shop').filter((p) => p.metadata.labels?.app === 'cart');
    expect(pods.map((p) => JSON.parse(p.metadata.annotations['sidecar.istio.io/status']).revision)).toEqual(['canary', 'canary']);
  });
});

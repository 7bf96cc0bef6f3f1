// `kubectl inject rollout` end to end against the real kube-controller-manager and kwok, on the
// demo: canary migration, --enable, a refused rollout stopping the run, an interrupted run re-run
// restarting nothing twice, and `rollout -A --yes` converging the cluster. The scenarios share one
// cluster and run in order, each in its own namespaces.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { expect, it } from 'vitest';
import { BIN, json, REPO, runCli } from '../cli/run-cli.js';
import { demoObjects } from '../live/live-cluster.js';
import { ADMIN_USER } from './control-plane.js';
import type { RawObject } from './rest.js';
import { describeRealCluster, useRealCluster } from './suite.js';

const TAG_DEFAULT = fileURLToPath(new URL('../fixtures/istio/webhooks/e-tag-default-to-canary.yaml', import.meta.url));

const revisionOf = (pod: RawObject): string | undefined => {
  const status = pod.metadata.annotations?.['sidecar.istio.io/status'];
  return status ? JSON.parse(status).revision : undefined;
};

describeRealCluster('rollout against real controllers', () => {
  const cluster = useRealCluster(() => demoObjects() as RawObject[]);
  const live = (args: string[]) => runCli([...args, '--kubeconfig', cluster().kubeconfigPath]);
  const pods = async (namespace: string) => (await cluster().rest.list('Pod', namespace)).filter((p) => !p.metadata.deletionTimestamp);
  /** Restarts the CLI's user sent: PATCHes of a workload (audit log, since index `from`). */
  const restarts = (from: number, resource: string, namespace: string, name: string) =>
    cluster()
      .controlPlane.auditEvents()
      .slice(from)
      .filter((e) => e.user.username === ADMIN_USER && e.verb === 'patch' && e.objectRef?.resource === resource && e.objectRef.namespace === namespace && e.objectRef.name === name && !e.objectRef.subresource);

  it('rollout -n bookinfo --revision canary moves the Deployments and the StatefulSet to canary', async () => {
    const from = cluster().controlPlane.auditEvents().length;
    const r = await live(['rollout', '-n', 'bookinfo', '--revision', 'canary', '--yes', '--max-concurrent', '3', '--timeout', '120s', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.result.stoppedBy).toBeNull();
    const rolled = out.result.workloads.map((w: RawObject) => `${w.kind}/${w.name}:${w.outcome}`).sort();
    expect(rolled).toContain('StatefulSet/mysql:rolled-out');
    expect(rolled.every((w: string) => w.endsWith(':rolled-out'))).toBe(true);
    const ns = await cluster().rest.get('/api/v1/namespaces/bookinfo');
    expect(ns.metadata.labels['istio.io/rev']).toBe('canary');
    // Every pod a workload owns now runs canary, injected through the webhooks the real API server called
    // (the waypoint runs its own proxy and no webhook touches it).
    const owned = (await pods('bookinfo')).filter((p) => p.metadata.ownerReferences && !p.metadata.labels?.['gateway.istio.io/managed']);
    expect(owned.length).toBeGreaterThan(4);
    for (const p of owned) expect(revisionOf(p), p.metadata.name).toBe('canary');
    expect(cluster().webhooks.calls.some((c) => c.namespace === 'bookinfo' && c.configuration === 'istio-sidecar-injector-canary' && c.outcome === 'canary')).toBe(true);
    expect(restarts(from, 'statefulsets', 'bookinfo', 'mysql')).toHaveLength(1);
  }, 180_000);

  it('--enable labels a namespace istio-injection=enabled and its pods get injected (default tag -> canary)', async () => {
    const c = cluster();
    await c.applyWebhookConfigurations([yaml.loadAll(readFileSync(TAG_DEFAULT, 'utf8')).find((d) => (d as RawObject)?.kind === 'MutatingWebhookConfiguration') as RawObject]);
    await c.rest.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } });
    await c.rest.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'plain' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.test/web:1' }] } },
      },
    });
    await c.settle();
    expect((await pods('plain')).map(revisionOf)).toEqual([undefined, undefined]);
    const r = await live(['rollout', '-n', 'plain', '--enable', '--yes', '--timeout', '120s', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((await c.rest.get('/api/v1/namespaces/plain')).metadata.labels['istio-injection']).toBe('enabled');
    expect((await pods('plain')).map(revisionOf)).toEqual(['canary', 'canary']);
  }, 180_000);

  it('a rollout whose new pods the webhook refuses stops the run with exit 1; nothing after it is started', async () => {
    const c = cluster();
    // The real Deployment controller reports ProgressDeadlineExceeded after this many seconds without progress.
    await c.rest.mergePatch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'payments', name: 'api' } }, { spec: { progressDeadlineSeconds: 8 } });
    await c.settle();
    const lift = c.webhooks.refuse((call) => (call.namespace === 'payments' && call.name.startsWith('api-') ? 'injection refused by the test webhook' : undefined));
    const from = c.controlPlane.auditEvents().length;
    const r = await live(['rollout', '-n', 'payments', '--revision', 'canary', '--yes', '--timeout', '120s']);
    lift();
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/payments\s+Deployment\/api\s+restart\s+failed\s+exceeded its progress deadline/);
    expect(c.webhooks.calls.some((k) => k.namespace === 'payments' && k.outcome === 'refused')).toBe(true);
    // worker comes after api in the plan: it was never restarted.
    expect(restarts(from, 'deployments', 'payments', 'worker')).toEqual([]);
  }, 180_000);

  it('an interrupted run, re-run, restarts nothing twice and finishes', async () => {
    const c = cluster();
    const from = c.controlPlane.auditEvents().length;
    const plan = json(await live(['rollout', '-n', 'shop', '--revision', 'stable', '--dry-run', '-o', 'json']));
    const targets: { kind: string; name: string }[] = plan.workloads.filter((w: RawObject) => w.action !== 'skip');
    expect(targets.length).toBeGreaterThanOrEqual(2);
    const child = spawn(process.execPath, [BIN, 'rollout', '-n', 'shop', '--revision', 'stable', '--yes', '--timeout', '120s', '--kubeconfig', c.kubeconfigPath], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once the first workload was restarted.
    const first = targets[0]!;
    for (let i = 0; restarts(from, 'deployments', 'shop', first.name).length === 0; i++) {
      if (i > 600) throw new Error('the first restart never came');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    await exited;
    const second = await live(['rollout', '-n', 'shop', '--revision', 'stable', '--yes', '--timeout', '120s', '-o', 'json']);
    expect(second.code, second.stderr).toBe(0);
    for (const t of targets) expect(restarts(from, 'deployments', 'shop', t.name), t.name).toHaveLength(1);
    for (const p of (await pods('shop')).filter((p) => p.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet')) expect(revisionOf(p), p.metadata.name).toBe('stable');
  }, 240_000);

  it('rollout -A --yes converges the rest: only manual actions still drift', async () => {
    const r = await live(['rollout', '-A', '--yes', '--max-concurrent', '3', '--timeout', '120s', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.result.stoppedBy).toBeNull();
    expect(out.result.workloads.every((w: RawObject) => w.outcome === 'rolled-out')).toBe(true);
    // Pods of the ambient namespaces stay NotCaptured: no restart captures a pod, the CNI agent does, and
    // none runs here (the demo's ztunnel is crash-looping on one node, too).
    const notCaptured = out.remainingDrift.filter((p: RawObject) => p.drift.join() === 'NotCaptured');
    expect([...new Set(notCaptured.map((p: RawObject) => p.namespace))].sort()).toEqual(['ambient-apps', 'storefront']);
    const drift = out.remainingDrift.filter((p: RawObject) => !notCaptured.includes(p)).map((p: RawObject) => `${p.namespace}/${p.workload?.kind ?? 'Pod'}`).sort();
    expect(drift).toEqual(out.plan.manual.map((m: RawObject) => `${m.namespace}/${m.kind === 'Pod' ? 'Pod' : m.kind}`).sort());
    // storefront's sidecars are gone after the restart (SidecarInAmbient was planned and fixed).
    expect(out.plan.workloads.filter((w: RawObject) => w.namespace === 'storefront').map((w: RawObject) => [w.name, w.drift])).toEqual([['api', ['SidecarInAmbient']], ['web', ['SidecarInAmbient']]]);
    expect(out.remainingDrift.some((p: RawObject) => p.drift.includes('SidecarInAmbient'))).toBe(false);
    const status = json(await live(['status', '-A', '-o', 'json']));
    expect(status.summary.drifted).toBe(out.remainingDrift.length);
  }, 240_000);
});

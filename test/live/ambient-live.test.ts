// End to end: `rollout --to-ambient` and `--to-sidecar REV` with the built CLI against the test cluster
// (controllers, the sidecar injection webhook and the ambient istio-cni agent simulated), on the demo
// state, checked by a re-audit with `status` and by the cluster's request log.
import { describe, expect, it, type TestContext } from 'vitest';
import { json, runCli } from '../cli/run-cli.js';
import type { TestCluster } from '../cluster/server.js';
import { demoCluster, demoObjects, live, writes } from './live-cluster.js';
import { startTestCluster } from '../cluster/server.js';

interface PodReport {
  namespace: string;
  name: string;
  workload: { kind: string; name: string } | null;
  desired: { dataplane: string };
  actual: { mode: string };
  drift: string[];
}

/** The demo with controllers; the crash-looping ztunnel pod on node-3 replaced (its DaemonSet re-creates it, ready). */
async function healthyDemo(test: TestContext): Promise<TestCluster> {
  const c = await demoCluster({ controllers: { tickMs: 25 } });
  test.onTestFinished(() => c.close());
  const broken = c.store.list('Pod', 'istio-system').find((p) => p.metadata.labels?.app === 'ztunnel' && p.status?.containerStatuses?.[0]?.ready === false)!;
  expect(broken, 'the demo has a crash-looping ztunnel pod').toBeDefined();
  expect(c.store.remove('Pod', 'istio-system', broken.metadata.name)).toBe(true);
  await c.controllers!.settle({ timeoutMs: 20_000 });
  const ztunnel = c.store.get('DaemonSet', 'istio-system', 'ztunnel')!;
  expect(ztunnel.status).toMatchObject({ desiredNumberScheduled: 3, numberReady: 3 });
  return c;
}

const podsOf = async (c: TestCluster, namespace: string): Promise<PodReport[]> => {
  const r = await live(c, ['status', '-n', namespace, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return json(r).pods;
};

describe.concurrent('rollout --to-ambient / --to-sidecar against the test cluster', () => {
  it('migrates bookinfo to ambient and back to revision prod, verified by a re-audit; a re-run restarts nothing twice', async (test) => {
    const c = await healthyDemo(test);
    const labelsBefore = c.store.get('Namespace', undefined, 'bookinfo')!.metadata.labels;
    expect(labelsBefore['istio.io/rev']).toBe('prod');

    const r = await live(c, ['rollout', '-n', 'bookinfo', '--to-ambient', '--yes', '--timeout', '60s', '-o', 'json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = json(r);
    expect(out.plan.migration).toBe('ambient');
    expect(out.plan.preflight.checks.map((x: { check: string; ok: boolean }) => [x.check, x.ok])).toEqual([['ztunnel', true], ['istio-cni', true], ['policies', true]]);
    expect(out.plan.namespaces).toEqual([expect.objectContaining({ namespace: 'bookinfo', patch: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': null } })]);
    // Only the workloads that run a sidecar restart; ratings-v1 (no sidecar) is captured where it runs.
    const restarted = out.plan.workloads.filter((w: { action: string }) => w.action === 'restart').map((w: { kind: string; name: string }) => `${w.kind}/${w.name}`);
    expect(restarted).toEqual(['Deployment/details-v1', 'Deployment/productpage-v1', 'Deployment/reviews-v1', 'StatefulSet/mysql']);
    expect(out.result.workloads.map((w: { outcome: string }) => w.outcome)).toEqual(restarted.map(() => 'rolled-out'));
    expect(out.verification).toEqual({ ok: true, pending: [] });

    // The label patch touched only the injection and data plane labels.
    const labelsAfter = c.store.get('Namespace', undefined, 'bookinfo')!.metadata.labels;
    const { 'istio.io/rev': removed, ...kept } = labelsBefore;
    void removed;
    expect(labelsAfter).toEqual({ ...kept, 'istio.io/dataplane-mode': 'ambient' });

    // Re-audit: every pod but the waypoint (its own proxy) is in ambient, captured, no drift.
    const ambient = await podsOf(c, 'bookinfo');
    for (const p of ambient) {
      if (p.workload?.name === 'waypoint') {
        expect(p.actual.mode).toBe('gateway');
        continue;
      }
      expect({ pod: p.name, dataplane: p.desired.dataplane, mode: p.actual.mode, drift: p.drift }).toEqual({ pod: p.name, dataplane: 'ambient', mode: 'ambient', drift: [] });
    }
    // Captured by the simulated CNI agent: no sidecar, the redirection annotation.
    for (const pod of c.store.list('Pod', 'bookinfo').filter((p) => p.metadata.labels?.app !== 'waypoint')) {
      expect(pod.metadata.annotations?.['ambient.istio.io/redirection'], pod.metadata.name).toBe('enabled');
      expect(pod.metadata.annotations?.['sidecar.istio.io/status'], pod.metadata.name).toBeUndefined();
    }

    // Re-running restarts nothing twice and relabels nothing.
    const writesBefore = writes(c).length;
    const again = await live(c, ['rollout', '-n', 'bookinfo', '--to-ambient', '--yes', '--timeout', '60s']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nothing to do');
    expect(writes(c).slice(writesBefore)).toEqual([]);

    // And back: sidecars of revision prod (the stable injector through the prod tag).
    const back = await live(c, ['rollout', '-n', 'bookinfo', '--to-sidecar', 'prod', '--yes', '--timeout', '60s', '-o', 'json']);
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    const backOut = json(back);
    expect(backOut.plan.namespaces).toEqual([expect.objectContaining({ namespace: 'bookinfo', patch: { 'istio.io/rev': 'prod', 'istio.io/dataplane-mode': null } })]);
    expect(backOut.plan.workloads.filter((w: { action: string }) => w.action === 'restart').map((w: { kind: string; name: string }) => `${w.kind}/${w.name}`)).toEqual([
      'Deployment/details-v1',
      'Deployment/productpage-v1',
      'Deployment/ratings-v1',
      'Deployment/reviews-v1',
      'StatefulSet/mysql',
    ]);
    expect(backOut.plan.manual.map((m: { kind: string; name: string }) => `${m.kind}/${m.name}`)).toEqual(['Pod/toolbox']);
    expect(backOut.verification).toEqual({ ok: true, pending: [] });
    expect(c.store.get('Namespace', undefined, 'bookinfo')!.metadata.labels).toEqual(labelsBefore);

    const sidecars = await podsOf(c, 'bookinfo');
    for (const p of sidecars) {
      if (p.workload?.name === 'waypoint') continue;
      if (p.name === 'toolbox') {
        // A bare pod is never re-created by rollout: it lost its capture and waits for a manual re-create.
        expect(p.drift).toEqual(['MissingSidecar']);
        continue;
      }
      expect({ pod: p.name, dataplane: p.desired.dataplane, mode: p.actual.mode, drift: p.drift }).toEqual({ pod: p.name, dataplane: 'sidecar', mode: 'native-sidecar', drift: [] });
    }
    // Removing the ambient label removed the capture annotation.
    for (const pod of c.store.list('Pod', 'bookinfo')) expect(pod.metadata.annotations?.['ambient.istio.io/redirection'], pod.metadata.name).toBeUndefined();
  }, 180_000);

  it('refuses when ztunnel is absent, and sends no write request', async (test) => {
    const c = await startTestCluster({ objects: demoObjects().filter((o) => !(o.kind === 'DaemonSet' && o.metadata.name === 'ztunnel') && !(o.kind === 'Pod' && o.metadata.labels?.app === 'ztunnel')), controllers: { tickMs: 25 } });
    test.onTestFinished(() => c.close());
    const before = writes(c).length;
    const r = await live(c, ['rollout', '-n', 'bookinfo', '--to-ambient', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: preflight: no ztunnel DaemonSet in the cluster, so no pod would be captured after the relabel; nothing was changed');
    expect(writes(c).slice(before)).toEqual([]);
    expect(c.store.get('Namespace', undefined, 'bookinfo')!.metadata.labels['istio.io/rev']).toBe('prod');
    // status says why, without a write either.
    const s = await live(c, ['status', '-n', 'storefront', '-o', 'json']);
    expect(json(s).findings.map((f: { code: string }) => f.code)).toContain('NoZtunnel');
    expect(writes(c).slice(before)).toEqual([]);
  }, 60_000);

  it('refuses storefront for its L7 policy unless --accept-policy-gaps, then drops the sidecars', async (test) => {
    const c = await healthyDemo(test);
    const before = writes(c).length;
    const refused = await live(c, ['rollout', '-n', 'storefront', '--to-ambient', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: preflight: 1 AuthorizationPolicy\(s\) with rules ztunnel does not enforce would apply to the migrated pods: storefront\/api-read-only \(1 pod\); .*--accept-policy-gaps; nothing was changed\n$/);
    expect(writes(c).slice(before)).toEqual([]);

    // storefront is already labelled for ambient: no label change, the sidecar workloads restart.
    const r = await live(c, ['rollout', '-n', 'storefront', '--to-ambient', '--accept-policy-gaps', '--yes', '--timeout', '60s']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/policies\s+ok\s+1 AuthorizationPolicy\(s\) ztunnel would not enforce \(accepted with --accept-policy-gaps\)/);
    expect(r.stdout).toMatch(/storefront\s+Deployment\/api\s+restart\s+rolled-out/);
    expect(r.stdout).toMatch(/storefront\s+Deployment\/web\s+restart\s+rolled-out/);
    expect(r.stdout).toContain('Verified: every pod of the migrated namespaces is captured by ambient.');
    const pods = await podsOf(c, 'storefront');
    expect(pods.map((p) => [p.workload?.name, p.actual.mode, p.drift.join(',')]).sort()).toEqual([
      ['api', 'ambient', ''],
      ['web', 'ambient', ''],
      ['web', 'ambient', ''],
    ]);
  }, 120_000);

  it('--to-ambient is mutually exclusive with the other label flags (exit 2)', async () => {
    for (const extra of [['--enable'], ['--disable'], ['--revision', 'canary'], ['--to-sidecar', 'prod']]) {
      const r = await runCli(['rollout', '-n', 'bookinfo', '--to-ambient', ...extra, '--demo', '--dry-run']);
      expect(r.code, extra.join(' ')).toBe(2);
    }
    const r = await runCli(['rollout', '-n', 'bookinfo', '--accept-policy-gaps', '--demo', '--dry-run']);
    expect(r.code).toBe(2);
  });
});

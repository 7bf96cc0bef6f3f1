// The simulated controllers against the real kubectl: `kubectl rollout restart` + `kubectl rollout status`
// for Deployments, StatefulSets and DaemonSets, progress deadlines, scaling, garbage collection, and the
// injection webhook on every pod create (decisions and proxy images from the project's engine).
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { addObject, emptyState, podRecord } from '../../../src/cluster/records.js';
import { readSnapshotObjects } from '../../../src/cluster/snapshot-source.js';
import { buildClusterContext } from '../../../src/engine/cluster-context.js';
import { auditPod } from '../../../src/engine/pod-audit.js';
import { kubectl, kubectlAvailable } from '../kubectl.js';
import { startTestCluster, type ControllerOptions, type RawObject, type TestCluster } from '../server.js';

const DEMO = readSnapshotObjects(fileURLToPath(new URL('../../../demo/cluster.yaml', import.meta.url)));

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function start(controllers: ControllerOptions = {}): Promise<TestCluster> {
  cluster = await startTestCluster({ objects: DEMO, controllers: { tickMs: 20, ...controllers } });
  return cluster;
}

const run = (c: TestCluster, ...args: string[]) => kubectl(c.kubeconfigPath, args);

/** The engine's audit of a pod against the cluster's current state (what `status` would say). */
function audit(c: TestCluster, pod: RawObject) {
  const state = emptyState();
  for (const kind of ['Namespace', 'MutatingWebhookConfiguration', 'ConfigMap', 'ProxyConfig', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']) {
    for (const object of c.store.list(kind)) addObject(state, object);
  }
  return auditPod(buildClusterContext(state), podRecord(pod));
}

const podsOf = (c: TestCluster, namespace: string, prefix: string) => c.store.list('Pod', namespace).filter((p) => String(p.metadata.name).startsWith(prefix));
const ready = (pod: RawObject) => pod.status?.phase === 'Running' && pod.status.conditions.some((x: RawObject) => x.type === 'Ready' && x.status === 'True');
const proxyOf = (pod: RawObject) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((x: RawObject) => x.name === 'istio-proxy');

describe.skipIf(!kubectlAvailable)('controllers with kubectl rollout', () => {
  it('restarts a Deployment: new ReplicaSet, pods replaced and injected by the namespace revision', async () => {
    const c = await start();
    const before = podsOf(c, 'shop', 'cart-').map((p) => p.metadata.name);
    expect(before).toHaveLength(2);
    expect(before.every((name) => audit(c, c.store.get('Pod', 'shop', name)!).drift.includes('RevisionMismatch'))).toBe(true);

    expect((await run(c, 'rollout', 'restart', 'deployment/cart', '-n', 'shop')).stdout).toBe('deployment.apps/cart restarted\n');
    const status = await run(c, 'rollout', 'status', 'deployment/cart', '-n', 'shop', '--timeout=30s');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('deployment "cart" successfully rolled out');

    const deployment = c.store.get('Deployment', 'shop', 'cart')!;
    expect(deployment.status).toMatchObject({ observedGeneration: deployment.metadata.generation, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(deployment.status.conditions.map((x: RawObject) => [x.type, x.status, x.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    expect(deployment.metadata.annotations['deployment.kubernetes.io/revision']).toBe('4');

    const sets = c.store.list('ReplicaSet', 'shop').filter((rs) => rs.metadata.ownerReferences?.[0]?.name === 'cart');
    const newRS = sets.find((rs) => rs.spec.replicas === 2)!;
    const hash = newRS.metadata.labels['pod-template-hash'];
    expect(newRS.metadata.name).toBe(`cart-${hash}`);
    expect(newRS.metadata.annotations['deployment.kubernetes.io/revision']).toBe('4');
    expect(newRS.metadata.ownerReferences[0]).toMatchObject({ kind: 'Deployment', name: 'cart', uid: deployment.metadata.uid, controller: true });
    expect(newRS.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    expect(sets.find((rs) => rs.metadata.name === 'cart-vmrnsxc5ql')).toMatchObject({ spec: { replicas: 0 }, status: { replicas: 0 } });

    const pods = podsOf(c, 'shop', 'cart-');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(before).not.toContain(pod.metadata.name);
      expect(pod.metadata.name).toMatch(new RegExp(`^cart-${hash}-[a-z0-9]{5}$`));
      expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: newRS.metadata.name, uid: newRS.metadata.uid });
      expect(ready(pod)).toBe(true);
      expect(pod.spec.nodeName).toMatch(/^node-\d$/);
      // What Istio's injector adds, the canary revision's (shop is labelled istio.io/rev=canary).
      expect(JSON.parse(pod.metadata.annotations['sidecar.istio.io/status'])).toMatchObject({ initContainers: ['istio-init', 'istio-proxy'], containers: null, revision: 'canary' });
      expect(pod.metadata.annotations).toMatchObject({ 'istio.io/rev': 'canary', 'kubectl.kubernetes.io/default-container': 'cart' });
      expect(pod.metadata.labels).toMatchObject({
        'pod-template-hash': hash,
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': 'cart',
        'service.istio.io/canonical-revision': 'latest',
      });
      expect(pod.spec.initContainers.map((x: RawObject) => [x.name, x.restartPolicy])).toEqual([
        ['istio-init', undefined],
        ['istio-proxy', 'Always'],
      ]);
      expect(proxyOf(pod).args.slice(0, 2)).toEqual(['proxy', 'sidecar']);
      // The engine agrees: desired canary, actual canary with the image it expects, no drift.
      const result = audit(c, pod);
      expect(result.desired).toMatchObject({ inject: true, revision: 'canary' });
      expect(result.actual).toMatchObject({ injected: true, viaInjector: true, mode: 'native-sidecar', revision: 'canary', image: 'docker.io/istio/proxyv2:1.28.0' });
      expect(result.actual.expectedImage).toBe(proxyOf(pod).image);
      expect(result.drift).toEqual([]);
    }
  });

  it('restarts a StatefulSet one pod at a time, keeping names, and reports revisions', async () => {
    const c = await start();
    const old = c.store.get('Pod', 'bookinfo', 'mysql-0')!;
    expect((await run(c, 'rollout', 'restart', 'statefulset/mysql', '-n', 'bookinfo')).code).toBe(0);
    const status = await run(c, 'rollout', 'status', 'statefulset/mysql', '-n', 'bookinfo', '--timeout=30s');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/statefulset rolling update complete 1 pods at revision mysql-[a-z0-9]+\.\.\./);

    const set = c.store.get('StatefulSet', 'bookinfo', 'mysql')!;
    expect(set.status.updateRevision).not.toBe('mysql-rbh6p5qvxc');
    expect(set.status).toMatchObject({ observedGeneration: set.metadata.generation, replicas: 1, readyReplicas: 1, updatedReplicas: 1, currentRevision: set.status.updateRevision });
    const pod = c.store.get('Pod', 'bookinfo', 'mysql-0')!;
    expect(pod.metadata.uid).not.toBe(old.metadata.uid);
    expect(pod.metadata.labels['controller-revision-hash']).toBe(set.status.updateRevision);
    expect(ready(pod)).toBe(true);
    // bookinfo is istio.io/rev=prod, a tag of stable.
    const result = audit(c, pod);
    expect(result.actual).toMatchObject({ revision: 'stable', image: 'docker.io/istio/proxyv2:1.26.2', mode: 'native-sidecar' });
    expect(proxyOf(pod).resources.requests).toEqual({ cpu: '200m', memory: '256Mi' });
    expect(result.drift).toEqual([]);
  });

  it('restarts a StatefulSet of 3 from the highest ordinal down', async () => {
    const c = await start();
    expect((await run(c, 'patch', 'statefulset/mysql', '-n', 'bookinfo', '-p', '{"spec":{"replicas":3}}')).code).toBe(0);
    expect((await run(c, 'rollout', 'status', 'statefulset/mysql', '-n', 'bookinfo', '--timeout=30s')).code).toBe(0);
    expect(podsOf(c, 'bookinfo', 'mysql-').map((p) => p.metadata.name)).toEqual(['mysql-0', 'mysql-1', 'mysql-2']);
    const uids = () => podsOf(c, 'bookinfo', 'mysql-').map((p) => p.metadata.uid as string);
    const first = uids();

    const replaced: string[] = [];
    const unsubscribe = c.store.onWrite((e) => {
      if (e.kind === 'Pod' && e.type === 'DELETED' && e.namespace === 'bookinfo') replaced.push(e.name);
    });
    expect((await run(c, 'rollout', 'restart', 'statefulset/mysql', '-n', 'bookinfo')).code).toBe(0);
    const status = await run(c, 'rollout', 'status', 'statefulset/mysql', '-n', 'bookinfo', '--timeout=30s');
    unsubscribe();
    expect(status.code, status.stderr).toBe(0);
    expect(replaced).toEqual(['mysql-2', 'mysql-1', 'mysql-0']);
    expect(uids().some((u) => first.includes(u))).toBe(false);
  });

  it('restarts a DaemonSet node by node (host-network pods: the webhook leaves them alone)', async () => {
    const c = await start();
    const before = podsOf(c, 'monitoring', 'node-exporter-').map((p) => p.metadata.name);
    expect((await run(c, 'rollout', 'restart', 'daemonset/node-exporter', '-n', 'monitoring')).code).toBe(0);
    const status = await run(c, 'rollout', 'status', 'daemonset/node-exporter', '-n', 'monitoring', '--timeout=30s');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('daemon set "node-exporter" successfully rolled out');

    const set = c.store.get('DaemonSet', 'monitoring', 'node-exporter')!;
    expect(set.status).toMatchObject({ observedGeneration: set.metadata.generation, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3, numberAvailable: 3 });
    const pods = podsOf(c, 'monitoring', 'node-exporter-');
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    for (const pod of pods) {
      expect(before).not.toContain(pod.metadata.name);
      expect(pod.metadata.annotations?.['sidecar.istio.io/status']).toBeUndefined();
      expect(audit(c, pod)).toMatchObject({ desired: { inject: false }, actual: { injected: false }, drift: [] });
    }
  });

  it('a failing Deployment exceeds its progress deadline; its old pods keep serving', async () => {
    const c = await start({ failing: (w) => w.kind === 'Deployment' && w.name === 'checkout', progressDeadlineTicks: 10 });
    expect((await run(c, 'rollout', 'restart', 'deployment/checkout', '-n', 'shop')).code).toBe(0);
    const status = await run(c, 'rollout', 'status', 'deployment/checkout', '-n', 'shop', '--timeout=30s');
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('error: deployment "checkout" exceeded its progress deadline');

    const deployment = c.store.get('Deployment', 'shop', 'checkout')!;
    expect(deployment.status.conditions.find((x: RawObject) => x.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(deployment.status).toMatchObject({ replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    const pods = podsOf(c, 'shop', 'checkout-');
    expect(pods.find((p) => p.metadata.name === 'checkout-cqf2zr7jg9-7t659')).toBeDefined();
    const crashing = pods.find((p) => p.metadata.name !== 'checkout-cqf2zr7jg9-7t659')!;
    expect(crashing.status.containerStatuses[0].state.waiting.reason).toBe('CrashLoopBackOff');
    expect((await run(c, 'get', 'pod', crashing.metadata.name, '-n', 'shop')).stdout).toContain('CrashLoopBackOff');
    await c.controllers!.settle();
    expect(c.controllers!.outcome('Deployment', 'shop', 'checkout')).toBe('failed');
  });

  it('scales a Deployment up and down within its ReplicaSet, and collects what a deleted one owned', async () => {
    const c = await start();
    const rs = () => c.store.list('ReplicaSet', 'payments').filter((r) => r.metadata.ownerReferences?.[0]?.name === 'api');
    expect((await run(c, 'patch', 'deployment/api', '-n', 'payments', '-p', '{"spec":{"replicas":4}}')).code).toBe(0);
    expect((await run(c, 'rollout', 'status', 'deployment/api', '-n', 'payments', '--timeout=30s')).code).toBe(0);
    expect(podsOf(c, 'payments', 'api-').filter(ready)).toHaveLength(4);
    expect(rs().map((r) => [r.metadata.name, r.spec.replicas])).toEqual([['api-5wrf2q7cpw', 4]]);
    expect((await run(c, 'patch', 'deployment/api', '-n', 'payments', '-p', '{"spec":{"replicas":1}}')).code).toBe(0);
    await c.controllers!.settle();
    expect(podsOf(c, 'payments', 'api-')).toHaveLength(1);

    expect((await run(c, 'delete', 'deployment/api', '-n', 'payments')).code).toBe(0);
    await c.controllers!.settle();
    expect(rs()).toEqual([]);
    expect(podsOf(c, 'payments', 'api-')).toEqual([]);
  });

  it('brings up a Deployment created with kubectl apply', async () => {
    const c = await start();
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'new-app', namespace: 'team-a' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'new-app' } },
        template: { metadata: { labels: { app: 'new-app', version: 'v2' } }, spec: { containers: [{ name: 'app', image: 'example/app:2' }] } },
      },
    };
    const applied = await kubectl(c.kubeconfigPath, ['apply', '-f', '-'], JSON.stringify(manifest));
    expect(applied.code, applied.stderr).toBe(0);
    const status = await run(c, 'rollout', 'status', 'deployment/new-app', '-n', 'team-a', '--timeout=30s');
    expect(status.code, status.stderr).toBe(0);
    const pods = podsOf(c, 'team-a', 'new-app-');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      // team-a is matched by two webhooks; the engine decides which revision injects, and so does the webhook.
      const result = audit(c, pod);
      expect(result.desired.inject).toBe(true);
      expect(result.actual.revision).toBe(result.desired.revision);
      expect(result.drift).toEqual([]);
      expect(pod.metadata.labels['service.istio.io/canonical-revision']).toBe('v2');
    }
  });
});

describe('the injection webhook on pod create', () => {
  const pod = (namespace: string, name: string, extra: RawObject = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...extra },
    spec: { containers: [{ name: 'app', image: 'example/app:1' }] },
  });

  it.skipIf(!kubectlAvailable)('injects a pod created with kubectl create -f, which then starts', async () => {
    const c = await start();
    const created = await kubectl(c.kubeconfigPath, ['create', '-f', '-', '-o', 'json'], JSON.stringify(pod('shop', 'debug')));
    expect(created.code, created.stderr).toBe(0);
    const returned = JSON.parse(created.stdout);
    // The create response already carries the mutation, as with a real webhook.
    expect(JSON.parse(returned.metadata.annotations['sidecar.istio.io/status']).revision).toBe('canary');
    expect(returned.status.phase).toBe('Pending');
    await c.controllers!.settle();
    const stored = c.store.get('Pod', 'shop', 'debug')!;
    expect(ready(stored)).toBe(true);
    expect(proxyOf(stored).image).toBe('docker.io/istio/proxyv2:1.28.0');
    expect(audit(c, stored)).toMatchObject({ desired: { revision: 'canary' }, actual: { revision: 'canary', viaInjector: true }, drift: [] });
  });

  it('follows the engine: opt-outs, ignored namespaces, uninjected namespaces', async () => {
    const c = await start();
    const create = (object: RawObject) => {
      c.store.create(structuredClone(object), {});
      return c.store.get('Pod', object.metadata.namespace, object.metadata.name)!;
    };
    const optOut = create(pod('shop', 'opt-out', { labels: { 'sidecar.istio.io/inject': 'false' } }));
    const system = create(pod('kube-system', 'sys'));
    const plain = create(pod('ambient-apps', 'plain'));
    for (const p of [optOut, system, plain]) {
      expect(p.metadata.annotations?.['sidecar.istio.io/status']).toBeUndefined();
      expect(p.spec.containers).toHaveLength(1);
      // ambient-apps is an ambient namespace whose ztunnel is not ready on every node: not captured.
      expect(audit(c, p).drift).toEqual(p === plain ? ['NotCaptured'] : []);
    }
    // Pinned image and image type: what the engine expects is what the pod gets.
    const pinned = create(pod('bookinfo', 'pinned', { annotations: { 'sidecar.istio.io/proxyImageType': 'distroless' } }));
    expect(proxyOf(pinned).image).toBe('docker.io/istio/proxyv2:1.26.2-distroless');
    expect(audit(c, pinned).drift).toEqual([]);
  });

  it('injects classic sidecars when asked, and only the status annotation for templates without a proxy', async () => {
    const c = await start({ nativeSidecars: false });
    c.store.create(pod('shop', 'classic'), {});
    const classic = c.store.get('Pod', 'shop', 'classic')!;
    expect(classic.spec.containers.map((x: RawObject) => x.name)).toEqual(['app', 'istio-proxy']);
    expect(classic.spec.initContainers.map((x: RawObject) => x.name)).toEqual(['istio-init']);
    expect(JSON.parse(classic.metadata.annotations['sidecar.istio.io/status'])).toMatchObject({ initContainers: ['istio-init'], containers: ['istio-proxy'] });
    expect(audit(c, classic)).toMatchObject({ actual: { mode: 'sidecar', revision: 'canary' }, drift: [] });

    c.store.create(pod('grpc', 'proxyless', { annotations: { 'inject.istio.io/templates': 'grpc-simple' } }), {});
    const proxyless = c.store.get('Pod', 'grpc', 'proxyless')!;
    expect(proxyless.spec.containers.map((x: RawObject) => x.name)).toEqual(['app']);
    expect(proxyless.spec.initContainers).toBeUndefined();
    expect(JSON.parse(proxyless.metadata.annotations['sidecar.istio.io/status']).revision).toBe('canary');
    expect(audit(c, proxyless)).toMatchObject({ actual: { proxyless: true, revision: 'canary' }, drift: [] });
  });
});

describe('pausing, ticking by hand and settling', () => {
  it('does nothing while paused; tick() steps; settle() waits for the rollout', async () => {
    const c = await start({ paused: true });
    const deployment = c.store.get('Deployment', 'shop', 'frontend')!;
    deployment.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' };
    c.store.put(deployment);
    await new Promise((r) => setTimeout(r, 100));
    const waiting = c.store.get('Deployment', 'shop', 'frontend')!;
    expect(waiting.metadata.generation).toBe(4);
    expect(waiting.status.observedGeneration).toBe(3);
    expect(c.controllers!.busy()).toEqual(['Deployment/shop/frontend']);

    c.controllers!.tick();
    const observed = c.store.get('Deployment', 'shop', 'frontend')!;
    expect(observed.status).toMatchObject({ observedGeneration: 4, replicas: 2, updatedReplicas: 1 });
    expect(observed.status.conditions.find((x: RawObject) => x.type === 'Progressing').reason).toBe('NewReplicaSetCreated');

    const settled = c.controllers!.settle();
    c.controllers!.resume();
    await settled;
    expect(c.store.get('Deployment', 'shop', 'frontend')!.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    expect(c.controllers!.busy()).toEqual([]);
  });

  it('settle() names what is still in progress when it times out', async () => {
    const c = await start({ paused: true });
    c.store.create(pod2('shop', 'waiting'), {});
    await expect(c.controllers!.settle({ timeoutMs: 100 })).rejects.toThrow(/did not settle within 100 ms; in progress: Pod\/shop\/waiting/);
  });
});

function pod2(namespace: string, name: string): RawObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: [{ name: 'app', image: 'example/app:1' }] } };
}

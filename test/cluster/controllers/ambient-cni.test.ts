// The simulated istio-cni agent: captures running pods its enablement selectors match while ztunnel
// and istio-cni-node are ready, and only then; un-captures pods that stop matching.
import { describe, expect, it } from 'vitest';
import { startTestCluster, type RawObject, type TestCluster } from '../server.js';
import { cniMatches } from './ambient-cni.js';

const REDIRECTION = 'ambient.istio.io/redirection';

function daemonSet(name: string, labels: Record<string, string>): RawObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'istio-system' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
}
const ns = (name: string, labels: Record<string, string> = {}): RawObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const pod = (namespace: string, name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; hostNetwork?: boolean } = {}): RawObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: extra.labels ?? {}, annotations: extra.annotations ?? {} },
  spec: { containers: [{ name: 'app', image: 'app:1' }], nodeName: 'node-1', ...(extra.hostNetwork ? { hostNetwork: true } : {}) },
  status: { phase: 'Running' },
});

async function cluster(objects: RawObject[], failing: (name: string) => boolean = () => false): Promise<TestCluster> {
  return startTestCluster({ objects, controllers: { tickMs: 20, inject: false, failing: (w) => failing(w.name) } });
}

const annotation = (c: TestCluster, namespace: string, name: string) => c.store.get('Pod', namespace, name)?.metadata.annotations?.[REDIRECTION];

describe('the simulated istio-cni agent', () => {
  it('matches Istio\'s enablement selectors', () => {
    const m = (p: RawObject, nsLabels: Record<string, string> = {}) => cniMatches(p, nsLabels, ['kube-system']);
    const amb = { 'istio.io/dataplane-mode': 'ambient' };
    expect(m(pod('a', 'p'), amb)).toBe(true);
    expect(m(pod('a', 'p'))).toBe(false);
    expect(m(pod('a', 'p', { labels: amb }))).toBe(true);
    expect(m(pod('a', 'p', { labels: { 'istio.io/dataplane-mode': 'none' } }), amb)).toBe(false);
    expect(m(pod('a', 'p', { annotations: { 'sidecar.istio.io/status': '{}' } }), amb)).toBe(false);
    expect(m(pod('a', 'p', { hostNetwork: true }), amb)).toBe(false);
    expect(m(pod('kube-system', 'p'), amb)).toBe(false);
    expect(m(pod('istio-system', 'z', { labels: { app: 'ztunnel' } }), amb)).toBe(false);
  });

  it('captures running pods of an ambient namespace once ztunnel and istio-cni are ready, and releases them when the label goes', async () => {
    const c = await cluster([ns('istio-system'), ns('apps', { 'istio.io/dataplane-mode': 'ambient' }), ns('other'), pod('apps', 'a'), pod('apps', 'out', { labels: { 'istio.io/dataplane-mode': 'none' } }), pod('other', 'b')]);
    try {
      await c.controllers!.settle();
      expect(annotation(c, 'apps', 'a')).toBeUndefined(); // no ztunnel yet
      c.store.create(daemonSet('ztunnel', { app: 'ztunnel' }), {});
      await c.controllers!.settle();
      expect(annotation(c, 'apps', 'a')).toBeUndefined(); // no istio-cni yet
      c.store.create(daemonSet('istio-cni-node', { 'k8s-app': 'istio-cni-node' }), {});
      await c.controllers!.settle();
      expect(annotation(c, 'apps', 'a')).toBe('enabled');
      expect(annotation(c, 'apps', 'out')).toBeUndefined();
      expect(annotation(c, 'other', 'b')).toBeUndefined();

      const namespace = c.store.get('Namespace', undefined, 'apps')!;
      delete namespace.metadata.labels['istio.io/dataplane-mode'];
      c.store.put(namespace);
      await c.controllers!.settle();
      expect(annotation(c, 'apps', 'a')).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it('captures nothing while ztunnel is not ready', async () => {
    const c = await cluster([ns('istio-system'), ns('apps', { 'istio.io/dataplane-mode': 'ambient' }), pod('apps', 'a'), daemonSet('ztunnel', { app: 'ztunnel' }), daemonSet('istio-cni-node', { 'k8s-app': 'istio-cni-node' })], (name) => name === 'ztunnel');
    try {
      await c.controllers!.settle();
      expect(c.store.get('DaemonSet', 'istio-system', 'ztunnel')!.status.numberReady ?? 0).toBe(0);
      expect(annotation(c, 'apps', 'a')).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it('a pod created later in an ambient namespace is captured once it runs', async () => {
    const c = await cluster([ns('istio-system'), ns('apps', { 'istio.io/dataplane-mode': 'ambient' }), daemonSet('ztunnel', { app: 'ztunnel' }), daemonSet('istio-cni-node', { 'k8s-app': 'istio-cni-node' })]);
    try {
      await c.controllers!.settle();
      const { status, ...fresh } = pod('apps', 'late');
      void status;
      c.store.create(fresh, {});
      await c.controllers!.settle();
      expect(c.store.get('Pod', 'apps', 'late')!.status.phase).toBe('Running');
      expect(annotation(c, 'apps', 'late')).toBe('enabled');
    } finally {
      await c.close();
    }
  });
});

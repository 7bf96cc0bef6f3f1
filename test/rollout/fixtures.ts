// A small cluster for rollout tests: revisions stable and canary, namespace shop on stable.
import { addObject, emptyState, type RawObject } from '../../src/cluster/records.js';
import type { ClusterState } from '../../src/engine/types.js';

const selectorFor = (value: string) => ({
  namespaceSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [value] }, { key: 'istio-injection', operator: 'DoesNotExist' }] },
  objectSelector: { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] },
});

function mwc(revision: string): RawObject {
  return {
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: `istio-sidecar-injector-${revision}`, labels: { 'istio.io/rev': revision } },
    webhooks: [
      {
        name: 'rev.namespace.sidecar-injector.istio.io',
        clientConfig: { service: { name: `istiod-${revision}`, namespace: 'istio-system' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        ...selectorFor(revision),
      },
    ],
  };
}

function injector(revision: string, tag: string): RawObject {
  return {
    kind: 'ConfigMap',
    metadata: { name: `istio-sidecar-injector-${revision}`, namespace: 'istio-system', creationTimestamp: '2026-01-01T00:00:00Z' },
    data: { config: 'policy: enabled\ntemplates:\n  sidecar: "name: istio-proxy"\n', values: JSON.stringify({ global: { hub: 'docker.io/istio', tag } }) },
  };
}

export function deployment(ns: string, name: string, status: Partial<Record<string, unknown>> = {}, spec: Record<string, unknown> = {}): RawObject {
  return {
    kind: 'Deployment',
    metadata: { name, namespace: ns, generation: 2 },
    spec: { replicas: 2, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } }, ...spec },
    status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, ...status },
  };
}

export function pod(ns: string, name: string, owner: { kind: string; name: string } | null, revision: string | null, extra: Record<string, unknown> = {}): RawObject {
  const injected = revision !== null;
  return {
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      creationTimestamp: '2026-06-01T00:00:00Z',
      labels: { app: owner?.name ?? name, ...(owner?.kind === 'ReplicaSet' ? { 'pod-template-hash': 'abc12' } : {}) },
      annotations: injected ? { 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], revision }) } : {},
      ownerReferences: owner ? [{ kind: owner.kind, name: owner.name, controller: true }] : [],
    },
    spec: { containers: [{ name: 'app', image: 'app:1' }, ...(injected ? [{ name: 'istio-proxy', image: `docker.io/istio/proxyv2:${revision === 'canary' ? '1.24.0' : '1.23.2'}` }] : [])] },
    ...extra,
  };
}

export function cluster(extra: RawObject[] = []): ClusterState {
  const state = emptyState();
  const objects: RawObject[] = [
    mwc('stable'),
    mwc('canary'),
    injector('stable', '1.23.2'),
    injector('canary', '1.24.0'),
    { kind: 'Namespace', metadata: { name: 'istio-system' } },
    { kind: 'Namespace', metadata: { name: 'kube-system' } },
    { kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/rev': 'stable', team: 'shop' } } },
    { kind: 'Namespace', metadata: { name: 'blog', labels: { 'istio.io/rev': 'stable' } } },
    deployment('shop', 'cart'),
    pod('shop', 'cart-abc12-x', { kind: 'ReplicaSet', name: 'cart-abc12' }, 'stable'),
    pod('shop', 'cart-abc12-y', { kind: 'ReplicaSet', name: 'cart-abc12' }, 'stable'),
    deployment('blog', 'web'),
    pod('blog', 'web-abc12-x', { kind: 'ReplicaSet', name: 'web-abc12' }, null),
    pod('shop', 'debug', null, null),
    pod('kube-system', 'dns-abc12-x', { kind: 'ReplicaSet', name: 'dns-abc12' }, null),
    ...extra,
  ];
  for (const o of objects) addObject(state, o);
  return state;
}

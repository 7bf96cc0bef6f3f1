// Small object builders for the test cluster's own tests.
import type { RawObject } from './types.js';

export const namespace = (name: string, labels: Record<string, string> = {}): RawObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

export const pod = (ns: string, name: string, labels: Record<string, string> = {}): RawObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
  status: { phase: 'Running' },
});

export const deployment = (ns: string, name: string): RawObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
  },
  status: { replicas: 1, readyReplicas: 1 },
});

export const configMap = (ns: string, name: string, data: Record<string, string> = {}): RawObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

export const webhookConfiguration = (name: string): RawObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: { name },
  webhooks: [
    {
      name: 'sidecar-injector.istio.io',
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/inject' } },
      namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    },
  ],
});

/** Two namespaces (demo, other) with five pods, a deployment and Istio's injector webhook. */
export function smallCluster(): RawObject[] {
  return [
    namespace('demo', { team: 'a' }),
    namespace('other'),
    pod('demo', 'web-1', { app: 'web' }),
    pod('demo', 'web-2', { app: 'web' }),
    pod('demo', 'db-1', { app: 'db' }),
    pod('other', 'batch-1', { app: 'batch' }),
    pod('other', 'batch-2', { app: 'batch' }),
    deployment('demo', 'web'),
    configMap('demo', 'settings', { mode: 'a' }),
    webhookConfiguration('istio-sidecar-injector'),
  ];
}

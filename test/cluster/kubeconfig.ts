// A kubeconfig that points kubectl or client-node at the test cluster.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import yaml from 'js-yaml';

export interface KubeconfigOptions {
  /** Name of the context (and of its cluster and user); default 'test-cluster'. */
  context?: string;
  /** The context's default namespace. */
  namespace?: string;
}

export interface ClusterEndpoint {
  url: string;
  /** PEM of the CA that signed the server certificate (HTTPS only). */
  caCert?: string;
  token?: string;
}

export function kubeconfigYaml(endpoint: ClusterEndpoint, options: KubeconfigOptions = {}): string {
  const name = options.context ?? 'test-cluster';
  // client-node refuses plain-HTTP servers unless TLS verification is "skipped"; kubectl ignores the flag for HTTP.
  const cluster = {
    server: endpoint.url,
    ...(endpoint.caCert ? { 'certificate-authority-data': Buffer.from(endpoint.caCert).toString('base64') } : { 'insecure-skip-tls-verify': true }),
  };
  return yaml.dump(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster }],
      users: [{ name, user: endpoint.token ? { token: endpoint.token } : {} }],
      contexts: [{ name, context: { cluster: name, user: name, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
      'current-context': name,
      preferences: {},
    },
    { lineWidth: -1 },
  );
}

export function writeKubeconfigFile(path: string, endpoint: ClusterEndpoint, options: KubeconfigOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(endpoint, options), { mode: 0o600 });
}

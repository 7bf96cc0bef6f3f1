// A kubeconfig that points kubectl or client-node at the test cluster.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import yaml from 'js-yaml';

export interface KubeconfigOptions {
  /** Name of the context (and of its cluster and user); default 'test-cluster'. */
  context?: string;
  /** The context's default namespace. */
  namespace?: string;
  /**
   * The credentials in the user entry: the bearer token, the client certificate and key (clusters started
   * with `clientCertificates`), or none. Default: the token if the cluster has one, else the client
   * certificate if it has one, else none.
   */
  auth?: 'token' | 'client-certificate' | 'none';
  /**
   * With the client certificate: refer to PEM files (`client-certificate`/`client-key`) instead of
   * embedding `client-certificate-data`/`client-key-data`.
   * - 'absolute': files in the cluster's temporary directory (deleted by close()), by absolute path.
   * - 'relative' (writeKubeconfig only): files `<kubeconfig name>.crt`/`.key` written next to the
   *   kubeconfig, by bare file name, which clients must resolve against the kubeconfig's directory.
   */
  clientCertificateFiles?: 'absolute' | 'relative';
}

export interface ClusterEndpoint {
  url: string;
  /** PEM of the CA that signed the server certificate (HTTPS only). */
  caCert?: string;
  token?: string;
  /** PEMs of the client certificate and its key (client-certificate authentication). */
  clientCertificate?: { cert: string; key: string };
  /** Where 'absolute' client certificate files go. */
  filesDir?: string;
}

/** Writes the client certificate and key as `<stem>.crt`/`<stem>.key` in dir; returns their paths. */
function writeClientCertificateFiles(dir: string, stem: string, pems: { cert: string; key: string }): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${stem}.crt`);
  const key = join(dir, `${stem}.key`);
  writeFileSync(cert, pems.cert, { mode: 0o644 });
  writeFileSync(key, pems.key, { mode: 0o600 });
  return { cert, key };
}

function userEntry(endpoint: ClusterEndpoint, options: KubeconfigOptions, kubeconfigPath: string | undefined): Record<string, string> {
  const auth = options.auth ?? (endpoint.token ? 'token' : endpoint.clientCertificate ? 'client-certificate' : 'none');
  if (auth === 'none') return {};
  if (auth === 'token') {
    if (endpoint.token === undefined) throw new Error('kubeconfig: auth "token" but the cluster was started without a token');
    return { token: endpoint.token };
  }
  const pems = endpoint.clientCertificate;
  if (!pems) throw new Error('kubeconfig: auth "client-certificate" but the cluster was started without clientCertificates');
  const files = options.clientCertificateFiles;
  if (files === undefined) {
    return { 'client-certificate-data': Buffer.from(pems.cert).toString('base64'), 'client-key-data': Buffer.from(pems.key).toString('base64') };
  }
  if (files === 'relative') {
    if (kubeconfigPath === undefined) throw new Error('kubeconfig: relative client certificate files need writeKubeconfig(path)');
    const written = writeClientCertificateFiles(dirname(kubeconfigPath), basename(kubeconfigPath), pems);
    return { 'client-certificate': basename(written.cert), 'client-key': basename(written.key) };
  }
  if (endpoint.filesDir === undefined) throw new Error('kubeconfig: no directory for client certificate files');
  const written = writeClientCertificateFiles(endpoint.filesDir, `${options.context ?? 'test-cluster'}-client`, pems);
  return { 'client-certificate': written.cert, 'client-key': written.key };
}

/** The kubeconfig as YAML; `kubeconfigPath` is where it will be written (for relative file references). */
export function kubeconfigYaml(endpoint: ClusterEndpoint, options: KubeconfigOptions = {}, kubeconfigPath?: string): string {
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
      users: [{ name, user: userEntry(endpoint, options, kubeconfigPath) }],
      contexts: [{ name, context: { cluster: name, user: name, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
      'current-context': name,
      preferences: {},
    },
    { lineWidth: -1 },
  );
}

export function writeKubeconfigFile(path: string, endpoint: ClusterEndpoint, options: KubeconfigOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(endpoint, options, path), { mode: 0o600 });
}

/**
 * One kubeconfig holding the contexts (and clusters and users) of several: e.g. two test clusters'
 * `kubeconfig({ context: 'east' })`, for fleet runs (`--context a,b`, `--all-contexts`). The first
 * kubeconfig's current-context is the merged one's, unless `currentContext` is given. Names must differ.
 */
export function mergeKubeconfigYamls(kubeconfigs: readonly string[], currentContext?: string): string {
  const merged = { apiVersion: 'v1', kind: 'Config', clusters: [] as { name: string }[], users: [] as { name: string }[], contexts: [] as { name: string }[], 'current-context': currentContext ?? '', preferences: {} };
  for (const text of kubeconfigs) {
    const doc = yaml.load(text) as { clusters?: { name: string }[]; users?: { name: string }[]; contexts?: { name: string }[]; 'current-context'?: string };
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of doc[key] ?? []) {
        if (merged[key].some((e) => e.name === entry.name)) throw new Error(`mergeKubeconfigYamls: ${key} entry "${entry.name}" appears twice`);
        merged[key].push(entry);
      }
    }
    if (!merged['current-context'] && doc['current-context']) merged['current-context'] = doc['current-context'];
  }
  return yaml.dump(merged, { lineWidth: -1 });
}

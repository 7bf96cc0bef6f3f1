// A local HTTP(S) server speaking enough of the Kubernetes API for kubectl and @kubernetes/client-node:
// discovery, get/list/watch/create/update/patch/delete with selectors and paging, Status errors,
// bearer-token and client-certificate auth, deny rules and fault injection. Start it with startTestCluster().
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, type RequestRecord } from './api-server.js';
import { generateClientCertificate, generateTestCertificates, type TestClientCertificate } from './certs.js';
import { Faults, type FaultRule } from './faults.js';
import { kubeconfigYaml, writeKubeconfigFile, type ClusterEndpoint, type KubeconfigOptions } from './kubeconfig.js';
import { AccessRules, type ForbidRule } from './rbac.js';
import { startControllers, type ControllerOptions, type Controllers } from './controllers/index.js';
import { ObjectStore } from './store.js';
import { seedSynthetic, type SyntheticClusterOptions } from './synthetic.js';
import type { RawObject } from './types.js';

export type { RequestRecord } from './api-server.js';
export { generateClientCertificate } from './certs.js';
export type { ClientCertificateOptions, TestClientCertificate } from './certs.js';
export type { FaultHandle, FaultRule, Faults } from './faults.js';
export type { KubeconfigOptions } from './kubeconfig.js';
export type { ForbidRule } from './rbac.js';
export type { ControllerOptions, Controllers, WorkloadRef } from './controllers/index.js';
export type { ObjectStore, WriteEvent } from './store.js';
export type { SyntheticClusterOptions } from './synthetic.js';
export type { RawObject } from './types.js';

export interface TestClusterOptions {
  /** Initial state: raw objects (kind, apiVersion, metadata, ...). Kinds the cluster does not serve are skipped. */
  objects?: readonly RawObject[];
  /**
   * Also seed a synthetic cluster (after `objects`): `pods` pods of 4-8 KB across `namespaces` namespaces
   * with their workloads, and the demo's control plane unless `controlPlane` is given.
   */
  synthetic?: SyntheticClusterOptions;
  /** Serve HTTPS with a freshly generated CA and server certificate. */
  tls?: boolean;
  /** Require `Authorization: Bearer <token>` (the kubeconfig carries it). kubectl sends tokens only over TLS. */
  token?: string;
  /**
   * Client-certificate (mutual TLS) authentication; needs `tls`. Generates a client CA and a client
   * certificate (CN kubectl-inject-test, O system:masters), asks clients for certificates and accepts a
   * request that presents one signed by that CA, or (if `token` is set too) the right bearer token.
   * The default kubeconfig carries the token if there is one, else the client certificate.
   */
  clientCertificates?: boolean;
  /** Default 0: any free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Fault rules active from the start. */
  faults?: readonly FaultRule[];
  /** Seed for the random draws of `probability` fault rules; default 1. */
  seed?: number;
  /** How many changes are kept for watches to replay; older resourceVersions get 410 Expired. Default 10000. */
  historySize?: number;
  /** Run simulated controllers (Deployments, StatefulSets, DaemonSets, pod start, sidecar injection): see controllers/. */
  controllers?: ControllerOptions;
}

export interface TestCluster {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** A kubeconfig for this cluster (context 'test-cluster'), written at start and deleted by close(). */
  readonly kubeconfigPath: string;
  /** PEM of the CA (HTTPS only). */
  readonly caCert?: string;
  readonly token?: string;
  /** The client CA, certificate and key (PEM), when started with `clientCertificates`. */
  readonly clientCertificate?: TestClientCertificate;
  /** Every request received, in order. */
  readonly requests: RequestRecord[];
  readonly store: ObjectStore;
  readonly faults: Faults;
  /** Kinds of initial objects that were skipped as not served (one entry per object). */
  readonly skippedKinds: readonly string[];
  /** The simulated controllers, when started with `controllers`. */
  readonly controllers?: Controllers;
  kubeconfig(options?: KubeconfigOptions): string;
  writeKubeconfig(path: string, options?: KubeconfigOptions): void;
  clearRequests(): void;
  /** Denies matching requests with 403 Forbidden; returns a function that lifts the rule. */
  forbid(rule: ForbidRule): () => void;
  /** Ends all open watch streams (clients then watch again from their last resourceVersion). */
  closeWatches(): void;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  if (options.clientCertificates && !options.tls) throw new Error('startTestCluster: clientCertificates needs tls: true');
  const host = options.host ?? '127.0.0.1';
  const store = new ObjectStore(options.historySize);
  const skippedKinds = store.load(options.objects ?? []);
  if (options.synthetic) skippedKinds.push(...seedSynthetic(store, options.synthetic));
  const controllers = options.controllers ? startControllers(store, options.controllers) : undefined;
  const faults = new Faults(options.seed);
  for (const rule of options.faults ?? []) faults.add(rule);
  const access = new AccessRules();
  const requests: RequestRecord[] = [];
  const certificates = options.tls ? generateTestCertificates() : undefined;
  const clientCertificate = options.clientCertificates ? generateClientCertificate() : undefined;

  let address = '';
  const api = new ApiServer({ store, faults, access, requests, token: options.token, clientCertificates: !!clientCertificate, address: () => address });
  const handler = (request: IncomingMessage, response: ServerResponse) => void api.handle(request, response);
  // With client certificates: ask for one and verify it against the client CA, but let the handshake
  // succeed without one (or with a bad one) so that the API server answers 401 itself, as kube-apiserver does.
  const server: Server = certificates
    ? createHttpsServer(
        {
          cert: certificates.cert,
          key: certificates.key,
          ...(clientCertificate ? { ca: clientCertificate.caCert, requestCert: true, rejectUnauthorized: false } : {}),
        },
        handler,
      )
    : createHttpServer(handler);
  const bound = await listen(server, options.port ?? 0, host);
  address = `${host}:${bound.port}`;

  const endpoint: Pick<ClusterEndpoint, 'url' | 'caCert' | 'token'> = {
    url: `${certificates ? 'https' : 'http'}://${address}`,
    ...(certificates ? { caCert: certificates.caCert } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  };
  const kubeconfigDir = mkdtempSync(join(tmpdir(), 'test-cluster-'));
  const kubeconfigPath = join(kubeconfigDir, 'kubeconfig');
  const kubeconfigEndpoint: ClusterEndpoint = {
    ...endpoint,
    ...(clientCertificate ? { clientCertificate: { cert: clientCertificate.cert, key: clientCertificate.key } } : {}),
    filesDir: kubeconfigDir,
  };
  writeKubeconfigFile(kubeconfigPath, kubeconfigEndpoint);

  return {
    ...endpoint,
    ...(clientCertificate ? { clientCertificate } : {}),
    kubeconfigPath,
    requests,
    store,
    faults,
    skippedKinds,
    ...(controllers ? { controllers } : {}),
    kubeconfig: (kubeconfigOptions) => kubeconfigYaml(kubeconfigEndpoint, kubeconfigOptions),
    writeKubeconfig: (path, kubeconfigOptions) => writeKubeconfigFile(path, kubeconfigEndpoint, kubeconfigOptions),
    clearRequests: () => {
      requests.length = 0;
    },
    forbid: (rule) => access.forbid(rule),
    closeWatches: () => api.closeWatches(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        controllers?.stop();
        server.close((err) => {
          rmSync(kubeconfigDir, { recursive: true, force: true });
          if (err) reject(err);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}

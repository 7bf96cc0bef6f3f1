// A local HTTP(S) server speaking enough of the Kubernetes API for kubectl and @kubernetes/client-node:
// discovery, get/list/watch/create/update/patch/delete with selectors and paging, Status errors,
// bearer-token auth, deny rules and fault injection. Start it with startTestCluster().
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, type RequestRecord } from './api-server.js';
import { generateTestCertificates } from './certs.js';
import { Faults, type FaultRule } from './faults.js';
import { kubeconfigYaml, writeKubeconfigFile, type ClusterEndpoint, type KubeconfigOptions } from './kubeconfig.js';
import { AccessRules, type ForbidRule } from './rbac.js';
import { startControllers, type ControllerOptions, type Controllers } from './controllers/index.js';
import { ObjectStore } from './store.js';
import { seedSynthetic, type SyntheticClusterOptions } from './synthetic.js';
import type { RawObject } from './types.js';

export type { RequestRecord } from './api-server.js';
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

  let address = '';
  const api = new ApiServer({ store, faults, access, requests, token: options.token, address: () => address });
  const handler = (request: IncomingMessage, response: ServerResponse) => void api.handle(request, response);
  const server: Server = certificates ? createHttpsServer({ cert: certificates.cert, key: certificates.key }, handler) : createHttpServer(handler);
  const bound = await listen(server, options.port ?? 0, host);
  address = `${host}:${bound.port}`;

  const endpoint: ClusterEndpoint = {
    url: `${certificates ? 'https' : 'http'}://${address}`,
    ...(certificates ? { caCert: certificates.caCert } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  };
  const kubeconfigDir = mkdtempSync(join(tmpdir(), 'test-cluster-'));
  const kubeconfigPath = join(kubeconfigDir, 'kubeconfig');
  writeKubeconfigFile(kubeconfigPath, endpoint);

  return {
    ...endpoint,
    kubeconfigPath,
    requests,
    store,
    faults,
    skippedKinds,
    ...(controllers ? { controllers } : {}),
    kubeconfig: (kubeconfigOptions) => kubeconfigYaml(endpoint, kubeconfigOptions),
    writeKubeconfig: (path, kubeconfigOptions) => writeKubeconfigFile(path, endpoint, kubeconfigOptions),
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

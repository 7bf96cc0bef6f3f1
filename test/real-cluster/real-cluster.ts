// A real cluster for tests and for `npm run real-cluster`: the control plane (control-plane.ts), the
// test webhook server (webhook-server.ts) and a state loaded into it (load-state.ts), settled by the
// real controllers. stop() ends every process and removes every temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries } from './build.js';
import { ADMIN_USER, startControlPlane, type ControlPlane } from './control-plane.js';
import { createNodeAssignment, loadObjects, loadWebhookConfigurations, releaseStatefulSets, type LoadResult } from './load-state.js';
import { collectionPath, objectPath, type KubeRest, type RawObject } from './rest.js';
import { startWebhookServer, type WebhookServer } from './webhook-server.js';

export const RESTRICTED_ACCOUNT = { namespace: 'default', name: 'kubectl-inject-restricted' };

export interface RealCluster {
  controlPlane: ControlPlane;
  webhooks: WebhookServer;
  /** The harness's own client (its own user in the audit log). */
  rest: KubeRest;
  /** kubeconfig of the admin user (a bearer token, group system:masters). */
  kubeconfigPath: string;
  kubeconfig: string;
  load: LoadResult;
  /** Objects of the state, as given (MutatingWebhookConfigurations included). */
  objects: RawObject[];
  /**
   * A kubeconfig for a real ServiceAccount (token from the TokenRequest API) that may read the
   * cluster-scoped objects and every namespace but `hidden`. Written next to the admin kubeconfig.
   */
  restrictedKubeconfig(hidden: string[]): Promise<string>;
  /** Creates or replaces webhook configurations (pointed at the webhook server; originals become its inputs). */
  applyWebhookConfigurations(configurations: RawObject[]): Promise<void>;
  /** Waits until every Deployment, StatefulSet, DaemonSet and Job the controllers run has settled. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RealClusterOptions {
  objects: RawObject[];
  log?: (line: string) => void;
  keepDir?: boolean;
}

export async function startRealCluster(options: RealClusterOptions): Promise<RealCluster> {
  const log = options.log ?? (() => {});
  const binaries = await ensureBinaries(log);
  const controlPlane = await startControlPlane(binaries, { log, keepDir: options.keepDir });
  const dir = mkdtempSync(join(tmpdir(), 'kinject-real-kubeconfig-'));
  let webhooks: WebhookServer | undefined;
  const stop = async () => {
    await controlPlane.stop();
    await webhooks?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const rest = controlPlane.harness;
    const objects = options.objects;
    const nodes: string[] = [];
    webhooks = await startWebhookServer({ certificates: controlPlane.certificates, nodes: () => nodes });
    const server = webhooks;
    for (const o of objects) if (o.kind !== 'MutatingWebhookConfiguration') server.setInput(o);

    const t = Date.now();
    await createNodeAssignment(rest, server, controlPlane.certificates.caCert);
    // The loaded pods are injected already: the webhooks the API server calls for them change nothing.
    server.setPassThrough(true);
    const load = await loadObjects(rest, objects, server, controlPlane.certificates.caCert, log);
    server.setPassThrough(false);
    server.clearCalls();
    nodes.push(...load.nodes);
    await controlPlane.startControllers();
    await releaseStatefulSets(rest, load);

    // A DaemonSet the snapshot shows with pods not ready (the demo's crash-looping ztunnel) settles at that count.
    const unready = new Map<string, number>();
    for (const o of objects) {
      const s = o.status ?? {};
      if (o.kind === 'DaemonSet' && typeof s.numberReady === 'number' && s.numberReady < (s.desiredNumberScheduled ?? 0)) unready.set(`${o.metadata.namespace}/${o.metadata.name}`, s.numberReady);
    }
    const settle = (timeoutMs = 90_000) => waitSettled(rest, timeoutMs, unready);
    await settle();
    log(`real-cluster: state loaded and settled in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    const kubeconfig = controlPlane.kubeconfig(controlPlane.adminToken, ADMIN_USER);
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

    return {
      controlPlane,
      webhooks: server,
      rest,
      kubeconfigPath,
      kubeconfig,
      load,
      objects,
      restrictedKubeconfig: async (hidden) => {
        const token = await restrictedToken(rest, objects, hidden);
        const path = join(dir, `kubeconfig-restricted-${hidden.join('-') || 'none'}`);
        writeFileSync(path, controlPlane.kubeconfig(token, `system:serviceaccount:${RESTRICTED_ACCOUNT.namespace}:${RESTRICTED_ACCOUNT.name}`), { mode: 0o600 });
        return path;
      },
      applyWebhookConfigurations: (configurations) => loadWebhookConfigurations(rest, configurations, server, controlPlane.certificates.caCert),
      settle,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const READ = ['get', 'list', 'watch'];

async function ensure(rest: KubeRest, object: RawObject): Promise<void> {
  const r = await rest.raw('POST', collectionPath(object.kind, object.metadata.namespace, object.apiVersion), object);
  if (r.status === 409) {
    const current = await rest.get(objectPath(object));
    await rest.replace({ ...object, metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion } });
  } else if (r.status !== 201) throw new Error(`creating ${object.kind} ${object.metadata.name}: ${r.status} ${r.body?.message ?? r.text}`);
}

/** RBAC for the restricted ServiceAccount, and a token for it from the TokenRequest API. */
async function restrictedToken(rest: KubeRest, objects: RawObject[], hidden: string[]): Promise<string> {
  const { namespace, name } = RESTRICTED_ACCOUNT;
  const subject = [{ kind: 'ServiceAccount', namespace, name }];
  await ensure(rest, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace, name } });
  await ensure(rest, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'kubectl-inject-restricted-cluster' },
    rules: [
      { apiGroups: [''], resources: ['namespaces'], verbs: READ },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: READ },
    ],
  });
  await ensure(rest, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'kubectl-inject-restricted-cluster' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubectl-inject-restricted-cluster' },
    subjects: subject,
  });
  await ensure(rest, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'kubectl-inject-restricted-namespace' },
    rules: [
      { apiGroups: [''], resources: ['pods', 'configmaps', 'services'], verbs: READ },
      { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], verbs: READ },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: READ },
      { apiGroups: ['networking.istio.io'], resources: ['proxyconfigs'], verbs: READ },
      { apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways'], verbs: READ },
      { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies'], verbs: READ },
    ],
  });
  const namespaces = new Set(['default', ...objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name as string)]);
  for (const ns of namespaces) {
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { namespace: ns, name: 'kubectl-inject-restricted' } };
    if (hidden.includes(ns)) {
      await rest.raw('DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/kubectl-inject-restricted`);
      continue;
    }
    await ensure(rest, { ...binding, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubectl-inject-restricted-namespace' }, subjects: subject });
  }
  const review = await rest.post(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  return review.status.token as string;
}

function settledProblem(kind: string, o: RawObject, unready: Map<string, number> = new Map()): string | undefined {
  const s = o.status ?? {};
  const id = `${kind} ${o.metadata.namespace}/${o.metadata.name}`;
  const generationSeen = (s.observedGeneration ?? 0) >= (o.metadata.generation ?? 0);
  switch (kind) {
    case 'Deployment': {
      const want = o.spec.replicas ?? 1;
      if (!generationSeen || (s.updatedReplicas ?? 0) !== want || (s.availableReplicas ?? 0) !== want || (s.replicas ?? 0) !== want) return `${id}: ${JSON.stringify(s)}`;
      return undefined;
    }
    case 'StatefulSet': {
      const want = o.spec.replicas ?? 1;
      if (!generationSeen || (s.readyReplicas ?? 0) !== want || s.currentRevision !== s.updateRevision) return `${id}: ${JSON.stringify(s)}`;
      return undefined;
    }
    case 'DaemonSet': {
      const ready = unready.get(`${o.metadata.namespace}/${o.metadata.name}`) ?? s.desiredNumberScheduled;
      if (!generationSeen || s.desiredNumberScheduled === undefined || s.numberReady !== ready || s.updatedNumberScheduled !== s.desiredNumberScheduled) return `${id}: ${JSON.stringify(s)}`;
      return undefined;
    }
    case 'Job':
      if (!(s.conditions ?? []).some((c: RawObject) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True') && (s.active ?? 0) === 0 && (s.succeeded ?? 0) === 0) return `${id}: ${JSON.stringify(s)}`;
      return undefined;
    default:
      return undefined;
  }
}

async function waitSettled(rest: KubeRest, timeoutMs: number, unready: Map<string, number> = new Map()): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems: string[] = [];
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'Job']) {
      for (const o of await rest.list(kind)) {
        const problem = settledProblem(kind, o, unready);
        if (problem) problems.push(problem);
      }
    }
    if (problems.length === 0) return;
    if (Date.now() > deadline) throw new Error(`the cluster did not settle in ${timeoutMs / 1000} s:\n${problems.join('\n')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

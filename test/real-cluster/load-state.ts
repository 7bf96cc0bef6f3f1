// Loading a snapshot (or the demo) into the real API server, so that the real controllers adopt it
// instead of replacing it: owners first, server-assigned uids (and names, for objects that only had a
// generateName) rewritten into ownerReferences, pod and Job statuses restored, Job pods labelled for
// their new Job, DaemonSet and StatefulSet pods labelled with the revision their controller computes,
// fake nodes (kwok) for every node the pods run on, and every MutatingWebhookConfiguration pointed at
// the test webhook server (their istiod services do not exist here). Objects are created in the
// order of their creation (and last-change) times in the snapshot, with the clock moved on a second
// wherever a pod and an injection input (ConfigMap, webhook configuration) change places, so that
// "created before the injector changed" (StaleTemplate) holds on the real server as in the snapshot.
// The webhook server passes the loaded pods through unchanged (they are injected already).
import type { KubeRest, RawObject } from './rest.js';
import { knownKind } from './rest.js';
import { lastChange } from '../../src/cluster/records.js';
import { ASSIGN_NODE_PATH, type WebhookServer } from './webhook-server.js';

export const FAKE_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const NODE_ASSIGNMENT_CONFIGURATION = 'zz-real-cluster-node-assignment';
/** The annotation a replayed later change of an injection input sets (a change must change something). */
export const REPLAYED_CHANGE = 'real-cluster.test/replayed-change';

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
/** Creation order: a kind's owners come before it. */
const ORDER = ['Namespace', 'ServiceAccount', 'ConfigMap', 'ProxyConfig', 'Service', 'Gateway', 'AuthorizationPolicy', 'CronJob', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet', 'Pod'];

export interface LoadResult {
  /** Old uid (from the snapshot) -> the object the API server created. */
  created: Map<string, { kind: string; namespace?: string; name: string; uid: string }>;
  nodes: string[];
  skipped: string[];
  /** StatefulSets created with a partition, to release once their controller has computed a revision. */
  partitioned: { namespace: string; name: string; partition: unknown }[];
}

function crd(group: string, version: string, kind: string, plural: string): RawObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // *.k8s.io groups are protected: the Gateway API's own CRDs carry this approval annotation.
    metadata: { name: `${plural}.${group}`, ...(group.endsWith('.k8s.io') ? { annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/2466' } } : {}) },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

/** The custom resources the snapshot may hold: created (and waited for) only when it holds them. */
const CRDS = [
  { kind: 'ProxyConfig', group: 'networking.istio.io', version: 'v1beta1', plural: 'proxyconfigs' },
  { kind: 'Gateway', group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' },
  { kind: 'AuthorizationPolicy', group: 'security.istio.io', version: 'v1', plural: 'authorizationpolicies' },
].map((c) => ({ kind: c.kind, crd: crd(c.group, c.version, c.kind, c.plural), path: `/apis/${c.group}/${c.version}/${c.plural}` }));

function forCreate(object: RawObject): RawObject {
  const copy = structuredClone(object);
  const meta = copy.metadata ?? {};
  for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete meta[field];
  copy.metadata = meta;
  delete copy.status;
  return copy;
}

const label = (object: RawObject, key: string, value: string) => {
  object.metadata.labels = { ...(object.metadata.labels ?? {}), [key]: value };
};

/** Loads `objects` into an API server whose controllers and kwok are not running yet. */
export async function loadObjects(rest: KubeRest, objects: RawObject[], server: WebhookServer, caCert: string, log: (line: string) => void = () => {}): Promise<LoadResult> {
  const result: LoadResult = { created: new Map(), nodes: [], skipped: [], partitioned: [] };
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const ownerOf = (ref: RawObject, namespace: string | undefined) => {
    const byUid = ref.uid ? result.created.get(ref.uid) : undefined;
    if (byUid) return byUid;
    return [...result.created.values()].find((c) => c.kind === ref.kind && c.namespace === namespace && c.name === ref.name);
  };

  // Fake nodes for every node the pods are bound to (kwok manages them once started).
  const nodes = [...new Set(byKind('Pod').map((p) => p.spec?.nodeName).filter((n): n is string => typeof n === 'string' && n !== ''))].sort();
  if (nodes.length === 0) nodes.push('kwok-node-1');
  for (const name of nodes) {
    await rest.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, annotations: { [FAKE_NODE_ANNOTATION]: 'fake' }, labels: { 'kubernetes.io/hostname': name, type: 'kwok' } } });
  }
  result.nodes = nodes;

  for (const c of CRDS) {
    if (byKind(c.kind).length === 0) continue;
    await rest.create(c.crd);
    for (let i = 0; i < 100 && (await rest.raw('GET', c.path)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  }

  // Namespaces (the system ones exist: their labels are merged), then each one's ServiceAccounts
  // (the ServiceAccount admission plugin wants them before pods; the controller would make only "default").
  for (const ns of byKind('Namespace')) {
    const created = SYSTEM_NAMESPACES.has(ns.metadata.name)
      ? await rest.mergePatch(ns, { metadata: { labels: ns.metadata.labels ?? {}, annotations: ns.metadata.annotations ?? {} } })
      : await rest.create(forCreate(ns));
    result.created.set(ns.metadata.uid ?? `Namespace/${ns.metadata.name}`, { kind: 'Namespace', name: created.metadata.name, uid: created.metadata.uid });
  }
  const accounts = new Set<string>();
  for (const o of objects) {
    const namespace = o.metadata?.namespace;
    if (!namespace) continue;
    accounts.add(`${namespace}/default`);
    const spec = o.kind === 'Pod' ? o.spec : o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
    const account = spec?.serviceAccountName ?? spec?.serviceAccount;
    if (account) accounts.add(`${namespace}/${account}`);
  }
  for (const sa of byKind('ServiceAccount')) accounts.delete(`${sa.metadata.namespace}/${sa.metadata.name}`);
  for (const key of [...accounts].sort()) {
    const [namespace, name] = key.split('/') as [string, string];
    const r = await rest.raw('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
    if (r.status !== 201 && r.status !== 409) throw new Error(`creating ServiceAccount ${key}: ${r.status} ${r.body?.message ?? r.text}`);
  }

  const dsGeneration = new Map<string, string>();
  const createOne = async (object: RawObject) => {
    const kind: string = object.kind;
    {
      const body = forCreate(object);
      const namespace: string | undefined = body.metadata.namespace;
      if (Array.isArray(body.metadata.ownerReferences)) {
        // Owners the state does not hold are left out: the garbage collector would delete the object.
        body.metadata.ownerReferences = body.metadata.ownerReferences.flatMap((ref: RawObject) => {
          const owner = ownerOf(ref, namespace);
          return owner ? [{ ...ref, name: owner.name, uid: owner.uid }] : [];
        });
        if (body.metadata.ownerReferences.length === 0) delete body.metadata.ownerReferences;
      }
      const owner = (body.metadata.ownerReferences ?? []).find((r: RawObject) => r.controller) as RawObject | undefined;
      if (kind === 'Job' && body.spec?.manualSelector !== true) {
        // The API server generates the selector from the new uid (and labels the template with it).
        delete body.spec.selector;
        for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid']) delete body.spec?.template?.metadata?.labels?.[k];
      }
      if (kind === 'StatefulSet' && body.spec?.updateStrategy?.type !== 'OnDelete') {
        // Its pods carry no revision the real controller knows: hold them (partition) until it has computed one.
        const rolling = body.spec.updateStrategy?.rollingUpdate ?? {};
        result.partitioned.push({ namespace: namespace!, name: body.metadata.name, partition: rolling.partition });
        body.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { ...rolling, partition: body.spec.replicas ?? 1 } };
      }
      if (kind === 'Pod' && owner?.kind === 'Job') {
        const job = [...result.created.values()].find((c) => c.uid === owner.uid)!;
        for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid']) label(body, k, job.uid);
        for (const k of ['job-name', 'batch.kubernetes.io/job-name']) label(body, k, job.name);
        // The Job controller counts a finished pod once, through this finalizer (then removes it).
        if (['Succeeded', 'Failed'].includes(object.status?.phase)) body.metadata.finalizers = [...(body.metadata.finalizers ?? []), 'batch.kubernetes.io/job-tracking'];
      }
      if (kind === 'Pod' && owner?.kind === 'DaemonSet') {
        // The DaemonSet controller takes a pod of the current template generation as up to date.
        label(body, 'pod-template-generation', dsGeneration.get(owner.uid) ?? '1');
      }
      if (kind === 'Pod' && owner?.kind === 'StatefulSet') delete body.metadata.labels?.['controller-revision-hash'];
      if (!knownKind(kind)) {
        result.skipped.push(`${kind} ${namespace}/${body.metadata.name}`);
        return;
      }
      const created = await rest.create(body);
      result.created.set(object.metadata.uid ?? `${kind}/${namespace}/${object.metadata.name}`, { kind, namespace, name: created.metadata.name, uid: created.metadata.uid });
      if (kind === 'DaemonSet') dsGeneration.set(created.metadata.uid, created.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? String(created.metadata.generation ?? 1));
      if (object.status && (kind === 'Pod' || kind === 'Job')) {
        const status = structuredClone(object.status);
        if (kind === 'Job') {
          // The Job controller owns the counts and conditions; it recounts from the pods.
          delete status.succeeded;
          delete status.failed;
          delete status.completionTime;
          delete status.conditions;
        }
        await rest.mergePatch(created, { status }, 'status');
      }
    }
  };

  // The timeline: creations, and later changes of the injection inputs, in snapshot time order.
  const INPUTS = new Set(['ConfigMap', 'MutatingWebhookConfiguration', 'ProxyConfig']);
  type Event = { time: number; rank: number; object: RawObject; change: boolean };
  const events: Event[] = [];
  const time = (t: unknown) => (typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? Date.parse(t) : 0);
  for (const object of objects) {
    if (['Namespace', 'ServiceAccount', 'Node'].includes(object.kind)) continue;
    const created = time(object.metadata?.creationTimestamp);
    events.push({ time: created, rank: ORDER.indexOf(object.kind), object, change: false });
    if (INPUTS.has(object.kind)) {
      const changed = time(lastChange(object.metadata, object.kind === 'MutatingWebhookConfiguration'));
      if (changed > created) events.push({ time: changed, rank: ORDER.length, object, change: true });
    }
  }
  events.sort((a, b) => a.time - b.time || a.rank - b.rank);
  const done = new Set<RawObject>();
  const byUid = new Map(objects.filter((o) => o.metadata?.uid).map((o) => [o.metadata.uid as string, o]));
  const ensureCreated = async (object: RawObject) => {
    if (done.has(object)) return;
    done.add(object);
    for (const ref of object.metadata?.ownerReferences ?? []) {
      const owner = byUid.get(ref.uid) ?? objects.find((o) => o.kind === ref.kind && o.metadata?.namespace === object.metadata?.namespace && o.metadata?.name === ref.name);
      if (owner) await ensureCreated(owner);
    }
    if (object.kind === 'MutatingWebhookConfiguration') await applyWebhookConfiguration(rest, object, server, caCert);
    else await createOne(object);
  };
  let lastClass: 'input' | 'pod' | null = null;
  let lastTime = -Infinity;
  for (const event of events) {
    const cls = INPUTS.has(event.object.kind) ? 'input' : event.object.kind === 'Pod' ? 'pod' : null;
    if (cls && lastClass && cls !== lastClass && event.time > lastTime) await nextSecond();
    if (cls) {
      lastClass = cls;
      lastTime = event.time;
    }
    if (!event.change) await ensureCreated(event.object);
    else if (event.object.kind === 'MutatingWebhookConfiguration') await applyWebhookConfiguration(rest, event.object, server, caCert, true);
    else await rest.mergePatch(event.object, { metadata: { annotations: { [REPLAYED_CHANGE]: String(event.object.metadata.resourceVersion ?? 'changed') } } });
  }
  log(`real-cluster: loaded ${result.created.size} objects and ${nodes.length} fake nodes`);
  return result;
}

/**
 * Creates (or replaces) a webhook configuration with every webhook pointed at the test webhook server
 * (path /hook/<configuration>/<webhook>/<original path>, caBundle of the generated CA), and registers
 * the original as the server's injection input. `change` marks a replayed later change.
 */
export async function applyWebhookConfiguration(rest: KubeRest, configuration: RawObject, server: WebhookServer, caCert: string, change = false): Promise<void> {
  server.setInput(configuration);
  const body = forCreate(configuration);
  if (change) body.metadata.annotations = { ...(body.metadata.annotations ?? {}), [REPLAYED_CHANGE]: String(configuration.metadata.resourceVersion ?? 'changed') };
  body.webhooks = (body.webhooks ?? []).map((hook: RawObject) => ({
    ...hook,
    clientConfig: {
      url: server.urlFor(body.metadata.name, hook.name, hook.clientConfig?.service?.path ?? new URL(hook.clientConfig?.url ?? 'https://x/').pathname),
      caBundle: Buffer.from(caCert).toString('base64'),
    },
  }));
  const existing = await rest.raw('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(body.metadata.name)}`);
  if (existing.status === 200) await rest.replace({ ...body, metadata: { ...body.metadata, resourceVersion: existing.body.metadata.resourceVersion } });
  else await rest.create(body);
}

export async function loadWebhookConfigurations(rest: KubeRest, configurations: RawObject[], server: WebhookServer, caCert: string): Promise<void> {
  for (const configuration of configurations) await applyWebhookConfiguration(rest, configuration, server, caCert);
}

/** Waits until the wall clock (the API server's, on this machine) is in the next second. */
async function nextSecond(): Promise<void> {
  const now = Date.now();
  await new Promise((r) => setTimeout(r, 1000 - (now % 1000) + 20));
}

/** The stand-in for a scheduler: every new pod is bound to a fake node by the webhook server. */
export async function createNodeAssignment(rest: KubeRest, server: WebhookServer, caCert: string): Promise<void> {
  await rest.create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: NODE_ASSIGNMENT_CONFIGURATION },
    webhooks: [
      {
        name: 'assign-node.real-cluster.test',
        clientConfig: { url: `https://127.0.0.1:${server.port}${ASSIGN_NODE_PATH}`, caBundle: Buffer.from(caCert).toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'Never',
      },
    ],
  });
}

/** Once the StatefulSet controller has computed each held set's revision: label its pods with it and release the partition. */
export async function releaseStatefulSets(rest: KubeRest, result: LoadResult): Promise<void> {
  for (const held of result.partitioned) {
    const path = `/apis/apps/v1/namespaces/${held.namespace}/statefulsets/${held.name}`;
    let set: RawObject = await rest.get(path);
    for (let i = 0; i < 300 && !set.status?.updateRevision; i++) {
      await new Promise((r) => setTimeout(r, 100));
      set = await rest.get(path);
    }
    const revision: string | undefined = set.status?.updateRevision;
    if (!revision) throw new Error(`StatefulSet ${held.namespace}/${held.name}: no revision from its controller after 30 s`);
    const selector = Object.entries(set.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await rest.get(`/api/v1/namespaces/${held.namespace}/pods?labelSelector=${encodeURIComponent(selector)}`);
    for (const pod of pods.items ?? []) {
      if (!(pod.metadata.ownerReferences ?? []).some((r: RawObject) => r.uid === set.metadata.uid)) continue;
      await rest.mergePatch({ apiVersion: 'v1', kind: 'Pod', ...pod }, { metadata: { labels: { 'controller-revision-hash': revision } } });
    }
    // Back to the snapshot's partition (none: null removes it); the template, so the revision, stays.
    await rest.mergePatch({ apiVersion: 'apps/v1', kind: 'StatefulSet', ...set }, { spec: { updateStrategy: { rollingUpdate: { partition: held.partition ?? null } } } });
  }
}

// Raw Kubernetes objects (as the API or `kubectl get -o yaml` gives them) -> the engine's compact records.
// Shared by the snapshot and live sources; keeps only what the engine reads.
import type {
  AuthorizationPolicyRecord,
  AuthorizationRuleRecord,
  ClusterState,
  GatewayRecord,
  ServiceRecord,
  ConfigMapRecord,
  ContainerRecord,
  Labels,
  NamespaceRecord,
  OwnerRef,
  PodRecord,
  ProxyConfigRecord,
  RuleRecord,
  WebhookConfigurationRecord,
  WebhookRecord,
  WorkloadKind,
  WorkloadRecord,
} from '../engine/types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type RawObject = Record<string, any>;

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

/** Annotation keys the engine reads (Istio's); everything else (last-applied-configuration, ...) is dropped. */
export function keepAnnotation(key: string): boolean {
  // Every kept prefix ends in istio.io/: most keys (kubectl's, other controllers') fail this one test.
  if (!key.includes('istio.io/')) return false;
  return (
    key.startsWith('sidecar.istio.io/') ||
    key.startsWith('istio.io/') ||
    key.startsWith('traffic.sidecar.istio.io/') ||
    key.startsWith('status.sidecar.istio.io/') ||
    key.startsWith('readiness.status.sidecar.istio.io/') ||
    key.startsWith('prometheus.istio.io/') ||
    key.startsWith('inject.istio.io/') ||
    key.startsWith('proxy.istio.io/') ||
    key.startsWith('ambient.istio.io/')
  );
}

function stringMap(value: unknown): Labels {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Labels = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = v === null || v === undefined ? '' : String(v);
  return out;
}

function filteredAnnotations(value: unknown): Labels {
  const all = stringMap(value);
  const out: Labels = {};
  for (const k of Object.keys(all)) if (keepAnnotation(k)) out[k] = all[k] as string;
  return out;
}

/** `proxy router` (gateways) or `proxy waypoint`: an istio-proxy that is the workload itself, not a sidecar. */
function proxyRole(c: RawObject): string | undefined {
  if (c?.name !== 'istio-proxy' || !Array.isArray(c.args) || c.args[0] !== 'proxy') return undefined;
  const role = c.args[1];
  return typeof role === 'string' && role !== 'sidecar' ? role : undefined;
}

function containers(list: unknown): ContainerRecord[] {
  if (!Array.isArray(list)) return [];
  return list.map((c: RawObject) => {
    const role = proxyRole(c);
    return {
      name: String(c?.name ?? ''),
      image: typeof c?.image === 'string' && c.image !== '' ? c.image : null,
      ...(c?.restartPolicy ? { restartPolicy: String(c.restartPolicy) } : {}),
      ...(role ? { proxyRole: role } : {}),
    };
  });
}

function controller(meta: RawObject | undefined): OwnerRef | null {
  const refs = Array.isArray(meta?.ownerReferences) ? meta.ownerReferences : [];
  const ref = refs.find((r: RawObject) => r?.controller === true) ?? refs[0];
  return ref ? { kind: String(ref.kind), name: String(ref.name) } : null;
}

function timestamp(value: unknown): string | null {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' && value ? value : null;
}

/** Leaf field names of a managedFields fieldsV1 tree ("f:caBundle", ...). */
function leafFields(tree: unknown, out: string[] = []): string[] {
  if (!tree || typeof tree !== 'object') return out;
  for (const [key, value] of Object.entries(tree as Record<string, unknown>)) {
    if (key === '.') continue;
    if (value && typeof value === 'object' && Object.keys(value).some((k) => k !== '.')) leafFields(value, out);
    else out.push(key);
  }
  return out;
}

/** istiod keeps patching webhook caBundles (and failurePolicy); those writes change no injection rule. */
const CERTIFICATE_ONLY = new Set(['f:caBundle', 'f:failurePolicy']);

/** Newest managedFields time, else creationTimestamp. `ignoreCertificatePatches` skips caBundle-only writes. */
export function lastChange(meta: RawObject | undefined, ignoreCertificatePatches = false): string | null {
  let newest: string | null = null;
  let newestMs = -Infinity;
  for (const f of Array.isArray(meta?.managedFields) ? meta.managedFields : []) {
    const t = timestamp(f?.time);
    if (!t || Date.parse(t) <= newestMs) continue;
    if (ignoreCertificatePatches) {
      const leaves = leafFields(f?.fieldsV1);
      if (leaves.length > 0 && leaves.every((l) => CERTIFICATE_ONLY.has(l))) continue;
    }
    newest = t;
    newestMs = Date.parse(t);
  }
  return newest ?? timestamp(meta?.creationTimestamp);
}

export function podRecord(raw: RawObject): PodRecord {
  const meta = raw.metadata ?? {};
  const spec = raw.spec ?? {};
  return {
    namespace: String(meta.namespace ?? 'default'),
    name: String(meta.name ?? meta.generateName ?? ''),
    labels: stringMap(meta.labels),
    annotations: filteredAnnotations(meta.annotations),
    creationTimestamp: timestamp(meta.creationTimestamp),
    hostNetwork: spec.hostNetwork === true,
    containers: containers(spec.containers),
    initContainers: containers(spec.initContainers),
    owner: controller(meta),
  };
}

/** A pod template (spec.template) as a pod record in the workload's namespace. */
export function templateRecord(namespace: string, template: RawObject | undefined): PodRecord {
  return podRecord({ metadata: { ...(template?.metadata ?? {}), namespace, name: '' }, spec: template?.spec ?? {} });
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function workloadRecord(raw: RawObject): WorkloadRecord {
  const kind = raw.kind as WorkloadKind;
  const meta = raw.metadata ?? {};
  const namespace = String(meta.namespace ?? 'default');
  const template = kind === 'CronJob' ? raw.spec?.jobTemplate?.spec?.template : raw.spec?.template;
  const status = raw.status ?? {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const isDaemonSet = kind === 'DaemonSet';
  const desired = isDaemonSet ? num(status.desiredNumberScheduled) : raw.spec?.replicas === undefined ? 1 : num(raw.spec.replicas);
  return {
    kind,
    namespace,
    name: String(meta.name ?? ''),
    labels: stringMap(meta.labels),
    owner: controller(meta),
    template: templateRecord(namespace, template),
    selector: raw.spec?.selector && typeof raw.spec.selector === 'object' ? raw.spec.selector : null,
    status: {
      generation: num(meta.generation),
      observedGeneration: num(status.observedGeneration),
      desired,
      current: isDaemonSet ? num(status.currentNumberScheduled) : num(status.replicas),
      updated: isDaemonSet ? num(status.updatedNumberScheduled) : num(status.updatedReplicas),
      ready: isDaemonSet ? num(status.numberReady) : num(status.readyReplicas),
      available: isDaemonSet ? num(status.numberAvailable) : num(status.availableReplicas),
      paused: raw.spec?.paused === true,
      progressDeadlineExceeded: conditions.some((c: RawObject) => c?.type === 'Progressing' && c?.reason === 'ProgressDeadlineExceeded'),
      currentRevision: status.currentRevision ?? null,
      updateRevision: status.updateRevision ?? null,
      strategy: (kind === 'Deployment' ? raw.spec?.strategy?.type : raw.spec?.updateStrategy?.type) ?? null,
      partition: typeof raw.spec?.updateStrategy?.rollingUpdate?.partition === 'number' ? raw.spec.updateStrategy.rollingUpdate.partition : null,
    },
  };
}

/**
 * A copy of a record that is kept while pods stream past (namespaces, workloads). V8 "pretenures" an
 * allocation site whose objects mostly survive: were these records, thousands of them and alive for the
 * whole audit, built by the same object literals as pod records (labels maps, container lists), V8 would
 * soon allocate every pod record straight into the old generation, where only a full GC frees it: about
 * 1.5 KB of garbage a pod, and a peak RSS that grows in steps. structuredClone copies natively, from no
 * allocation site, so the literals podRecord uses only ever see records that die young.
 */
export function longLived<T>(record: T): T {
  return structuredClone(record);
}

export function namespaceRecord(raw: RawObject): NamespaceRecord {
  return { name: String(raw.metadata?.name ?? ''), labels: stringMap(raw.metadata?.labels) };
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

export function webhookConfigurationRecord(raw: RawObject): WebhookConfigurationRecord {
  const meta = raw.metadata ?? {};
  const webhooks: WebhookRecord[] = (Array.isArray(raw.webhooks) ? raw.webhooks : []).map((w: RawObject) => ({
    name: String(w?.name ?? ''),
    rules: (Array.isArray(w?.rules) ? w.rules : []).map(
      (r: RawObject): RuleRecord => ({
        operations: stringList(r?.operations),
        apiGroups: stringList(r?.apiGroups),
        apiVersions: stringList(r?.apiVersions),
        resources: stringList(r?.resources),
        scope: r?.scope ?? null,
      }),
    ),
    namespaceSelector: w?.namespaceSelector ?? null,
    objectSelector: w?.objectSelector ?? null,
    service: w?.clientConfig?.service
      ? {
          namespace: String(w.clientConfig.service.namespace ?? ''),
          name: String(w.clientConfig.service.name ?? ''),
          path: w.clientConfig.service.path ?? null,
          port: w.clientConfig.service.port ?? null,
        }
      : null,
    url: w?.clientConfig?.url ?? null,
    reinvocationPolicy: typeof w?.reinvocationPolicy === 'string' ? w.reinvocationPolicy : null,
  }));
  return { name: String(meta.name ?? ''), labels: stringMap(meta.labels), lastChange: lastChange(meta, true), webhooks };
}

export function configMapRecord(raw: RawObject): ConfigMapRecord {
  const meta = raw.metadata ?? {};
  return {
    namespace: String(meta.namespace ?? 'default'),
    name: String(meta.name ?? ''),
    labels: stringMap(meta.labels),
    data: stringMap(raw.data),
    lastChange: lastChange(meta),
  };
}

/** ConfigMaps the engine reads: injector ConfigMaps and mesh ConfigMaps. */
export function isIstioConfigMap(name: string): boolean {
  return name.startsWith('istio-sidecar-injector') || name === 'istio' || name.startsWith('istio-');
}

export function proxyConfigRecord(raw: RawObject): ProxyConfigRecord {
  const spec = raw.spec ?? {};
  const selector = spec.selector;
  return {
    namespace: String(raw.metadata?.namespace ?? 'default'),
    name: String(raw.metadata?.name ?? ''),
    selector: selector && typeof selector === 'object' ? stringMap(selector.matchLabels) : null,
    imageType: spec.image && typeof spec.image === 'object' ? String(spec.image.imageType ?? '') : undefined,
    creationTimestamp: timestamp(raw.metadata?.creationTimestamp),
  };
}

export function serviceRecord(raw: RawObject): ServiceRecord {
  return { namespace: String(raw.metadata?.namespace ?? 'default'), name: String(raw.metadata?.name ?? ''), labels: stringMap(raw.metadata?.labels) };
}

export function gatewayRecord(raw: RawObject): GatewayRecord {
  return {
    namespace: String(raw.metadata?.namespace ?? 'default'),
    name: String(raw.metadata?.name ?? ''),
    gatewayClassName: typeof raw.spec?.gatewayClassName === 'string' ? raw.spec.gatewayClassName : '',
    labels: stringMap(raw.metadata?.labels),
  };
}

/** The names of the fields of an object that are set (a non-empty list, or any other non-null value). */
function setFields(value: unknown): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== '')
    .map(([k]) => k)
    .sort();
}

export function authorizationPolicyRecord(raw: RawObject): AuthorizationPolicyRecord {
  const spec = raw.spec ?? {};
  const rules: AuthorizationRuleRecord[] = (Array.isArray(spec.rules) ? spec.rules : []).map((r: RawObject) => ({
    to: (Array.isArray(r?.to) ? r.to : []).map((t: RawObject) => setFields(t?.operation)),
    from: (Array.isArray(r?.from) ? r.from : []).map((f: RawObject) => setFields(f?.source)),
    when: (Array.isArray(r?.when) ? r.when : []).map((w: RawObject) => String(w?.key ?? '')),
  }));
  const selector = spec.selector;
  const targetRefs = Array.isArray(spec.targetRefs) ? spec.targetRefs : [];
  return {
    namespace: String(raw.metadata?.namespace ?? 'default'),
    name: String(raw.metadata?.name ?? ''),
    selector: selector && typeof selector === 'object' ? stringMap(selector.matchLabels) : null,
    targeted: targetRefs.length > 0 || (spec.targetRef !== null && typeof spec.targetRef === 'object'),
    action: typeof spec.action === 'string' && spec.action ? spec.action : 'ALLOW',
    rules,
  };
}

export function emptyState(): ClusterState {
  return { namespaces: [], pods: [], webhookConfigurations: [], configMaps: [], proxyConfigs: [], workloads: [], services: [], gateways: [], authorizationPolicies: [] };
}

/** Adds one raw object to the state; returns false for kinds the engine does not use. */
export function addObject(state: ClusterState, raw: RawObject): boolean {
  switch (raw.kind) {
    case 'Namespace':
      state.namespaces.push(namespaceRecord(raw));
      return true;
    case 'Pod':
      state.pods.push(podRecord(raw));
      return true;
    case 'MutatingWebhookConfiguration':
      state.webhookConfigurations.push(webhookConfigurationRecord(raw));
      return true;
    case 'ConfigMap':
      if (!isIstioConfigMap(String(raw.metadata?.name ?? ''))) return false;
      state.configMaps.push(configMapRecord(raw));
      return true;
    case 'ProxyConfig':
      state.proxyConfigs.push(proxyConfigRecord(raw));
      return true;
    case 'Service':
      (state.services ??= []).push(serviceRecord(raw));
      return true;
    case 'Gateway':
      // gateway.networking.k8s.io only (Istio's own networking.istio.io Gateway is no waypoint).
      if (typeof raw.apiVersion === 'string' && !raw.apiVersion.startsWith('gateway.networking.k8s.io/')) return false;
      (state.gateways ??= []).push(gatewayRecord(raw));
      return true;
    case 'AuthorizationPolicy':
      (state.authorizationPolicies ??= []).push(authorizationPolicyRecord(raw));
      return true;
    default:
      if (WORKLOAD_KINDS.has(raw.kind)) {
        state.workloads.push(workloadRecord(raw));
        return true;
      }
      return false;
  }
}

// The resource types the test cluster serves, with the discovery facts a real API server publishes.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface ResourceType {
  kind: string;
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, lower case: the URL segment. */
  name: string;
  singularName: string;
  namespaced: boolean;
  shortNames: string[];
  categories?: string[];
  /** Has a /status subresource: writes to the main resource keep the stored status. */
  hasStatus: boolean;
  /** metadata.generation is set on create and bumped when anything but metadata and status changes. */
  tracksGeneration: boolean;
  /** Served like a CustomResourceDefinition (list items keep kind/apiVersion). */
  custom: boolean;
}

/** The verbs every resource supports (discovery lists them sorted, as a real server does). */
export const RESOURCE_VERBS: readonly Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function resource(spec: Partial<ResourceType> & Pick<ResourceType, 'kind' | 'group' | 'version' | 'name' | 'namespaced'>): ResourceType {
  return {
    singularName: spec.kind.toLowerCase(),
    shortNames: [],
    hasStatus: false,
    tracksGeneration: false,
    custom: false,
    ...spec,
  };
}

const workload = (kind: string, group: string, name: string, shortNames: string[]): ResourceType =>
  resource({ kind, group, version: 'v1', name, namespaced: true, shortNames, categories: ['all'], hasStatus: true, tracksGeneration: true });

export const RESOURCE_TYPES: readonly ResourceType[] = [
  resource({ kind: 'Namespace', group: '', version: 'v1', name: 'namespaces', namespaced: false, shortNames: ['ns'], hasStatus: true }),
  resource({ kind: 'Pod', group: '', version: 'v1', name: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], hasStatus: true }),
  resource({ kind: 'ConfigMap', group: '', version: 'v1', name: 'configmaps', namespaced: true, shortNames: ['cm'] }),
  resource({ kind: 'Service', group: '', version: 'v1', name: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], hasStatus: true }),
  resource({
    kind: 'MutatingWebhookConfiguration',
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    name: 'mutatingwebhookconfigurations',
    namespaced: false,
    categories: ['api-extensions'],
    tracksGeneration: true,
  }),
  workload('Deployment', 'apps', 'deployments', ['deploy']),
  workload('StatefulSet', 'apps', 'statefulsets', ['sts']),
  workload('DaemonSet', 'apps', 'daemonsets', ['ds']),
  workload('ReplicaSet', 'apps', 'replicasets', ['rs']),
  workload('Job', 'batch', 'jobs', []),
  workload('CronJob', 'batch', 'cronjobs', ['cj']),
  resource({
    kind: 'ProxyConfig',
    group: 'networking.istio.io',
    version: 'v1beta1',
    name: 'proxyconfigs',
    namespaced: true,
    categories: ['istio-io', 'networking-istio-io'],
    tracksGeneration: true,
    custom: true,
  }),
  resource({
    kind: 'Gateway',
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    name: 'gateways',
    namespaced: true,
    shortNames: ['gtw'],
    categories: ['gateway-api'],
    hasStatus: true,
    tracksGeneration: true,
    custom: true,
  }),
  resource({
    kind: 'AuthorizationPolicy',
    group: 'security.istio.io',
    version: 'v1',
    name: 'authorizationpolicies',
    namespaced: true,
    shortNames: ['ap'],
    categories: ['istio-io', 'security-istio-io'],
    tracksGeneration: true,
    custom: true,
  }),
];

export const groupVersion = (type: ResourceType): string => (type.group ? `${type.group}/${type.version}` : type.version);

const byKind = new Map(RESOURCE_TYPES.map((t) => [t.kind, t]));
const byPath = new Map(RESOURCE_TYPES.map((t) => [`${groupVersion(t)}/${t.name}`, t]));

export function typeForKind(kind: string): ResourceType | undefined {
  return byKind.get(kind);
}

/** The type served at /api/<version>/<name> or /apis/<group>/<version>/<name>. */
export function typeForPath(group: string, version: string, name: string): ResourceType | undefined {
  return byPath.get(`${group ? `${group}/` : ''}${version}/${name}`);
}

/** The groups under /apis (not the core group), each with its one version, in a stable order. */
export function apiGroups(): { name: string; version: string }[] {
  const seen = new Map<string, string>();
  for (const t of RESOURCE_TYPES) if (t.group && !seen.has(t.group)) seen.set(t.group, t.version);
  return [...seen].map(([name, version]) => ({ name, version }));
}

// State from a live API server: namespaces, webhooks and Istio ConfigMaps read once, pods paged and
// turned into records as they arrive (no page is held as text or raw objects; pods and workloads are
// cut down to what their records read while they arrive), the next page requested while the current
// one is read (paged-list.ts), RBAC gaps reported as a partial result.
import { ApiClient, ApiError, CHUNKS_PER_TURN } from './api-client.js';
import { loadKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import type { Projection } from './list-splitter.js';
import { PagedList } from './paged-list.js';
import { POD_FIELDS, SERVICE_FIELDS, WORKLOAD_FIELDS } from './record-fields.js';
import {
  authorizationPolicyRecord,
  gatewayRecord,
  serviceRecord,
  configMapRecord,
  isIstioConfigMap,
  longLived,
  namespaceRecord,
  podRecord,
  proxyConfigRecord,
  webhookConfigurationRecord,
  workloadRecord,
  type RawObject,
} from './records.js';
import { UserError, type BaseState, type ClusterSource, type ClusterWriter, type Scope, type SourceInfo } from './source.js';
import type { AuthorizationPolicyRecord, GatewayRecord, PodRecord, ServiceRecord, WebhookConfigurationRecord, WorkloadKind, WorkloadRecord } from '../engine/types.js';
import { isAmbientComponent } from '../engine/ambient-components.js';
import { ROOT_NAMESPACE } from '../engine/authorization-policy.js';
import { parseSelector, SelectorSyntaxError } from '../engine/selector-syntax.js';
import { isInjectionWebhookName } from '../engine/webhook-matching.js';
import { WorkloadFeed } from './workload-feed.js';

export interface LiveOptions extends KubeconfigOptions {
  requestTimeoutMs: number;
  pageSize?: number;
}

interface ResourcePath {
  group: string; // '' for core
  version: string;
  plural: string;
  namespaced: boolean;
}

const RESOURCES = {
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', namespaced: false },
  ProxyConfig: { group: 'networking.istio.io', version: 'v1beta1', plural: 'proxyconfigs', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  Job: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  Gateway: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true },
  AuthorizationPolicy: { group: 'security.istio.io', version: 'v1', plural: 'authorizationpolicies', namespaced: true },
} satisfies Record<string, ResourcePath>;

export type ResourceKind = keyof typeof RESOURCES;

export function resourcePath(kind: ResourceKind, namespace: string | null, name?: string): string {
  const r: ResourcePath = RESOURCES[kind];
  const root = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** How a list is read: its projection, page size, and its pace (PagedListOptions.paced; default: a page ahead). */
export interface ListOptions {
  projection?: Projection;
  pageSize?: number;
  paced?: () => Promise<boolean>;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects: its outcome, to be looked at later. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

const podQuery = (scope: Scope): Record<string, string | undefined> => ({ labelSelector: scope.labelSelector ?? undefined });

/** A bad -l selector as users see it (exit 2). */
function parseSelectorOrThrow(selector: string): void {
  try {
    parseSelector(selector);
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw new UserError(`invalid selector "${selector}": ${err.message}`, 2);
    throw err;
  }
}

const LISTED_WORKLOADS: WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

/**
 * Namespaces and workloads are listed in pages this many times larger than pods: pods wait for them (the
 * namespaces all, the workloads their namespace's: workload-feed.ts), their objects are small or cut down
 * to a few hundred bytes while they arrive, and under real API latency each page is a round trip (18,000
 * Deployments in pages of 500 are 36 of them; in pages of 2,000, 9). Workloads streamed to the audit
 * (loadBaseStreaming) are the exception: each pod waits only for its own namespace's, which the first
 * pages hold, so round trips matter less than bytes; their pages are as large as the pods', so that
 * their first ones, which arrive with the first pod pages, hold up the parsing of those less (under
 * 50 ms of latency, 100,000 pods: 0.2 s sooner).
 */
export const BASE_PAGE_FACTOR = 4;

const workloadGapWarning = (gap: string) => `${gap}: their pods are attributed to workloads by name only`;

/**
 * istio-system and the namespaces of the istiods the injection webhooks call: those the cluster context
 * reads ConfigMaps and istiod Deployments from (webhook-matching.ts collectInjectionWebhooks).
 */
function istioNamespacesOf(webhookRecords: WebhookConfigurationRecord[]): Set<string> {
  const istioNamespaces = new Set<string>(['istio-system']);
  for (const w of webhookRecords) for (const h of w.webhooks) if (h.service?.namespace && isInjectionWebhookName(h.name)) istioNamespaces.add(h.service.namespace);
  return istioNamespaces;
}

export class LiveSource implements ClusterSource, ClusterWriter {
  /**
   * Namespaces known from loadBase, for per-namespace fallbacks when a cluster-wide list is forbidden
   * (a promise: workloads are listed while the namespaces are still being read).
   */
  private knownNamespaces: Promise<string[]> = Promise.resolve([]);
  /** RBAC gaps met while listing pods (reported after the listing). */
  readonly podWarnings: string[] = [];
  /** Aborted by close(): stops every list request still under way (and its retries). */
  private readonly closing = new AbortController();

  private constructor(
    readonly client: ApiClient,
    private readonly namespace: string,
    private readonly contextName: string,
    private readonly pageSize: number,
  ) {}

  static async open(opts: LiveOptions): Promise<LiveSource> {
    const context = loadKubeconfig(opts);
    const client = await ApiClient.create(context, { timeoutMs: opts.requestTimeoutMs });
    return new LiveSource(client, context.namespace, context.contextName, opts.pageSize ?? 500);
  }

  info(): SourceInfo {
    return { type: 'live', location: `${this.contextName} (${this.client.server})` };
  }

  defaultNamespace(): string {
    return this.namespace;
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.client.close();
  }

  /**
   * A list, following continue tokens, as batches of `map(raw)`: each item is parsed (cut down to
   * `projection` first, when given) and mapped as it arrives, so neither a page of text nor a page of
   * raw objects is ever held, only what `map` keeps. The next page is requested while the current one
   * is read. No item is yielded twice: not when a page is retried mid-response, not when an expired
   * continue token restarts the list.
   */
  listPages<T = RawObject>(
    kind: ResourceKind,
    namespace: string | null,
    query: Record<string, string | undefined> = {},
    map: (raw: RawObject) => T = (raw) => raw as T,
    options: ListOptions = {},
  ): PagedList<T> {
    const { projection, pageSize = this.pageSize, paced } = options;
    const parseItem = (json: string): { key: string; value: T } => {
      const raw = JSON.parse(json) as RawObject;
      raw.kind ??= kind;
      return { key: `${raw.metadata?.namespace}/${raw.metadata?.name}`, value: map(raw) };
    };
    return new PagedList(this.client, {
      path: resourcePath(kind, namespace),
      query,
      pageSize,
      parseItem,
      signal: this.closing.signal,
      ...(projection ? { projection } : {}),
      // Other lists give way to I/O after each chunk: at start-up they arrive together with the first pod
      // pages, and every turn of the event loop spent on them is one in which a pod page's socket (its
      // receive window still small on a new connection) is read once, about 128 KB. (25,000 pods: the
      // first pod page took 300 ms to arrive, the floor's 10 ms.)
      chunksPerTurn: kind === 'Pod' ? CHUNKS_PER_TURN : 1,
      ...(paced ? { paced } : {}),
    });
  }

  /**
   * Pages of a namespaced kind in scope. When the cluster-wide list is forbidden (a user with
   * namespace-scoped rights), lists namespace by namespace and reports those it cannot read.
   */
  async *listScoped<T>(
    kind: ResourceKind,
    namespace: string | null,
    query: Record<string, string | undefined>,
    gaps: string[],
    map: (raw: RawObject) => T,
    options: ListOptions & { onFallback?: () => void } = {},
  ): AsyncIterable<T[]> {
    let known: string[] = [];
    try {
      yield* this.listPages(kind, namespace, query, map, options);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403)) throw err;
      if (namespace === null) known = await this.knownNamespaces;
      if (known.length === 0) {
        gaps.push(`cannot list ${RESOURCES[kind].plural}${namespace ? ` in namespace ${namespace}` : ''} (forbidden)`);
        return;
      }
    }
    options.onFallback?.();
    const denied: string[] = [];
    for (const ns of known) {
      try {
        yield* this.listPages(kind, ns, query, map, options);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) denied.push(ns);
        else throw err;
      }
    }
    if (denied.length) gaps.push(`cannot list ${RESOURCES[kind].plural} in ${denied.length} namespace(s) (forbidden): ${denied.slice(0, 10).join(', ')}${denied.length > 10 ? ', ...' : ''}`);
  }

  private async listAll(kind: ResourceKind, namespace: string | null, query: Record<string, string | undefined> = {}, pageSize = this.pageSize): Promise<RawObject[]> {
    const out: RawObject[] = [];
    for await (const page of this.listPages(kind, namespace, query, undefined, { pageSize })) out.push(...page);
    return out;
  }

  /**
   * loadBase, resolved as soon as the cluster's configuration is read, the DaemonSets have ended and the
   * workload lists have passed the Istio namespaces (istiod's Deployments): the other workloads still
   * arrive through `workloads` (workload-feed.ts), while pods are audited.
   */
  async loadBaseStreaming(scope: Scope): Promise<{ base: BaseState; workloads: WorkloadFeed }> {
    // Each list reads on while it holds less than 2 pages of records ahead of the pods.
    const workloads = new WorkloadFeed(LISTED_WORKLOADS, this.pageSize > 0 ? 2 * this.pageSize : Infinity);
    const base = await this.loadBase(scope, { feed: workloads });
    return { base, workloads };
  }

  async loadBase(scope: Scope, options: { ownersOf?: PodRecord; feed?: WorkloadFeed } = {}): Promise<BaseState> {
    const feed = options.feed;
    const warnings: string[] = [];
    let partial = false;
    const forbidden = (what: string, err: unknown, consequence: string): boolean => {
      if (err instanceof ApiError && err.status === 403) {
        partial = true;
        warnings.push(`cannot list ${what} (forbidden): ${consequence}`);
        return true;
      }
      return false;
    };

    // Reads that do not depend on each other are sent together (start-up is mostly round trips, and
    // the workloads are a good part of the bytes); their outcomes are handled below in a fixed order,
    // so warnings and errors stay the same whatever arrives first.
    const namespacesRead = settle(scope.namespace ? this.client.get(resourcePath('Namespace', null, scope.namespace)).then((n) => [n]) : this.listAll('Namespace', null, {}, this.pageSize * BASE_PAGE_FACTOR));
    const webhooksRead = settle(this.listAll('MutatingWebhookConfiguration', null).then((raw) => raw.map(webhookConfigurationRecord)));
    // The Istio ConfigMaps of the namespaces istiod runs in, read as soon as the webhooks name them.
    const configMapsRead = webhooksRead.then(async (hooks) => {
      const namespaces = istioNamespacesOf(hooks.ok ? hooks.value : []);
      const reads = await Promise.all([...namespaces].map((namespace) => settle(this.listAll('ConfigMap', namespace)).then((r) => ({ namespace, r }))));
      return { namespaces, reads };
    });
    const proxyConfigsRead = settle(this.listAll('ProxyConfig', scope.namespace));
    // Root-namespace ProxyConfigs apply mesh-wide.
    const rootProxyConfigsRead = scope.namespace && scope.namespace !== 'istio-system' ? settle(this.listAll('ProxyConfig', 'istio-system')) : null;
    const ownersRead = options.ownersOf ? settle(this.ownerChain(options.ownersOf)) : null;
    // Ambient: Services (use-waypoint labels), Gateways (waypoints, any namespace), AuthorizationPolicies
    // (the scope's and the root namespace's), and ztunnel / istio-cni (istio-system/ztunnel and
    // istio-system/istio-cni-node, read by name) when the workload lists do not cover istio-system. A
    // kind whose CRD is not installed (404) is simply absent.
    const ambientGaps: string[] = [];
    const collect = async <T>(kind: ResourceKind, namespace: string | null, map: (raw: RawObject) => T, projection?: Projection): Promise<T[]> => {
      const out: T[] = [];
      try {
        for await (const page of this.listScoped(kind, namespace, {}, ambientGaps, map, projection ? { projection } : {})) out.push(...page);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return [];
        throw err;
      }
      return out;
    };
    const servicesRead = settle(collect<ServiceRecord>('Service', scope.namespace, (raw) => longLived(serviceRecord(raw)), SERVICE_FIELDS));
    const gatewaysRead = settle(collect<GatewayRecord>('Gateway', null, gatewayRecord));
    const policyNamespaces = scope.namespace && scope.namespace !== ROOT_NAMESPACE ? [scope.namespace, ROOT_NAMESPACE] : [scope.namespace];
    const policiesRead = settle(Promise.all(policyNamespaces.map((ns) => collect<AuthorizationPolicyRecord>('AuthorizationPolicy', ns, authorizationPolicyRecord))).then((l) => l.flat()));
    const componentsRead =
      ownersRead || (scope.namespace && scope.namespace !== 'istio-system')
        ? settle(
            // Read by name (the charts' names), so that one pod's explain still lists no workloads.
            Promise.all(['ztunnel', 'istio-cni-node'].map((name) => this.getWorkload('DaemonSet', 'istio-system', name))).then((l) =>
              l.filter((w): w is WorkloadRecord => w !== null && isAmbientComponent(w)),
            ),
          )
        : null;
    // Workloads (ReplicaSets are derived from pod-template-hash; not listed). A cluster-wide list that
    // is forbidden falls back to listing namespace by namespace, once the namespaces are known.
    this.knownNamespaces = namespacesRead.then((r) => (r.ok ? r.value.map((n) => String(n.metadata?.name ?? '')).filter(Boolean) : []));
    const gaps = LISTED_WORKLOADS.map((): string[] => []);
    let abandoned = false;
    // Streamed lists go at the audit's pace (WorkloadFeed.paced), waiting between pages; a list stops
    // there once the feed has failed.
    const listWorkloads = (kind: WorkloadKind, k: number) =>
      this.listScoped(kind, scope.namespace, {}, gaps[k]!, (raw) => longLived(workloadRecord(raw)), {
        projection: WORKLOAD_FIELDS,
        pageSize: feed ? this.pageSize : this.pageSize * BASE_PAGE_FACTOR,
        ...(feed ? { paced: () => feed.paced(k).then(() => !feed.failed && !abandoned) } : {}),
        onFallback: () => feed?.unordered(k),
      });
    let workloadsRead: Promise<Settled<WorkloadRecord[][]>> | null = null;
    if (ownersRead) {
      // One pod's owner chain instead.
    } else if (feed) {
      // Each list feeds its batches in as they come; the base waits only for what the cluster context
      // reads of them: the DaemonSets (ztunnel, istio-cni) and the Istio namespaces (istiod's Deployments).
      LISTED_WORKLOADS.forEach((kind, k) => {
        void (async () => {
          for await (const page of listWorkloads(kind, k)) {
            if (abandoned || feed.failed) return;
            feed.add(k, page);
          }
          feed.end(k, gaps[k]!.map(workloadGapWarning));
        })().catch((err: unknown) => feed.fail(err));
      });
      workloadsRead = settle(
        configMapsRead.then(({ namespaces }) => feed.whenCovers([...namespaces], [LISTED_WORKLOADS.indexOf('DaemonSet')])).then(() => [feed.take()]),
      );
    } else {
      workloadsRead = settle(
        Promise.all(
          LISTED_WORKLOADS.map(async (kind, k) => {
            const records: WorkloadRecord[] = [];
            for await (const page of listWorkloads(kind, k)) {
              if (abandoned) break;
              records.push(...page);
            }
            return records;
          }),
        ),
      );
    }

    try {
      // Namespaces.
      let namespaces: RawObject[] = [];
      const ns = await namespacesRead;
      if (ns.ok) namespaces = ns.value;
      else if (scope.namespace) {
        if (ns.error instanceof ApiError && ns.error.status === 404) throw new UserError(`namespace "${scope.namespace}" not found`);
        if (!forbidden(`namespace ${scope.namespace}`, ns.error, 'its labels are unknown, decisions assume none')) throw ns.error;
        namespaces = [{ kind: 'Namespace', metadata: { name: scope.namespace, labels: {} } }];
      } else if (!forbidden('namespaces', ns.error, 'namespace labels are unknown, decisions assume none')) throw ns.error;

      // Webhooks, then the Istio ConfigMaps of the namespaces istiod runs in.
      let webhookRecords: WebhookConfigurationRecord[] = [];
      const hooks = await webhooksRead;
      if (hooks.ok) webhookRecords = hooks.value;
      else if (!forbidden('mutatingwebhookconfigurations', hooks.error, 'no injection webhook is known, every decision says no injection')) throw hooks.error;

      const configMaps: RawObject[] = [];
      const proxyConfigs: RawObject[] = [];
      const { namespaces: istioNamespaces, reads: configMapReads } = await configMapsRead;
      for (const { namespace, r } of configMapReads) {
        if (r.ok) configMaps.push(...r.value.filter((c) => isIstioConfigMap(String(c.metadata?.name ?? ''))));
        else if (!forbidden(`configmaps in ${namespace}`, r.error, 'injector configuration unknown, policy "enabled" assumed')) throw r.error;
      }
      const pc = await proxyConfigsRead;
      if (pc.ok) proxyConfigs.push(...pc.value);
      else {
        const missing = pc.error instanceof ApiError && pc.error.status === 404; // CRD not installed
        if (!missing && !forbidden('proxyconfigs', pc.error, 'image variants set by ProxyConfig are not taken into account')) throw pc.error;
      }
      const root = await rootProxyConfigsRead;
      // Optional: an absent CRD or no access changes nothing else.
      if (root?.ok && scope.namespace && !istioNamespaces.has(scope.namespace)) proxyConfigs.push(...root.value);

      const workloads: WorkloadRecord[] = [];
      if (ownersRead) {
        const owners = await ownersRead;
        if (!owners.ok) throw owners.error;
        workloads.push(...owners.value);
      } else {
        const listed = (await workloadsRead)!;
        if (!listed.ok) throw listed.error;
        for (const records of listed.value) workloads.push(...records);
      }
      // Ambient reads: none of them is needed for the injection audit, so only a real error stops it.
      const ambient = { services: [] as ServiceRecord[], gateways: [] as GatewayRecord[], authorizationPolicies: [] as AuthorizationPolicyRecord[] };
      for (const [key, read] of [['services', servicesRead], ['gateways', gatewaysRead], ['authorizationPolicies', policiesRead]] as const) {
        const r = await read;
        if (r.ok) (ambient[key] as unknown[]) = r.value;
        else if (!forbidden(key === 'authorizationPolicies' ? 'authorizationpolicies' : key, r.error, 'ambient waypoint and policy checks are incomplete')) throw r.error;
      }
      if (componentsRead) {
        const r = await componentsRead;
        if (r.ok) {
          for (const c of r.value) if (!workloads.some((w) => w.kind === 'DaemonSet' && w.namespace === c.namespace && w.name === c.name)) workloads.push(c);
        } else if (!forbidden('daemonsets in istio-system', r.error, 'whether ztunnel and istio-cni run is unknown')) throw r.error;
      }
      if (ambientGaps.length) {
        partial = true;
        warnings.push(...ambientGaps.map((g) => `${g}: ambient waypoint and policy checks are incomplete`));
      }
      // Streamed lists report their gaps once they end (WorkloadFeed.whenEnded).
      const workloadGaps = feed ? [] : gaps.flat();
      if (workloadGaps.length) {
        partial = true;
        warnings.push(...workloadGaps.map(workloadGapWarning));
      }

      return {
        namespaces: namespaces.map((raw) => longLived(namespaceRecord(raw))),
        webhookConfigurations: webhookRecords,
        configMaps: configMaps.map(configMapRecord),
        proxyConfigs: proxyConfigs.map(proxyConfigRecord),
        workloads,
        ...ambient,
        partial,
        warnings,
      };
    } catch (err) {
      // Workload lists still under way stop at their next batch.
      abandoned = true;
      feed?.fail(err);
      throw err;
    }
  }

  /** The pod's controller, and its controller in turn (ReplicaSet -> Deployment, Job -> CronJob). */
  private async ownerChain(pod: PodRecord): Promise<WorkloadRecord[]> {
    const chain: WorkloadRecord[] = [];
    let owner = pod.owner;
    while (owner && chain.length < 3 && owner.kind in RESOURCES && owner.kind !== 'Pod') {
      const record = await this.getWorkload(owner.kind as WorkloadKind, pod.namespace, owner.name).catch((err) => {
        if (err instanceof ApiError && err.status === 403) return null;
        throw err;
      });
      if (!record) break;
      chain.push(record);
      owner = record.owner;
    }
    return chain;
  }

  async *pods(scope: Scope, onProgress?: (count: number) => void): AsyncIterable<PodRecord[]> {
    if (scope.labelSelector) parseSelectorOrThrow(scope.labelSelector);
    this.podWarnings.length = 0; // those of this listing only (an audit redone lists the pods again)
    let count = 0;
    for await (const records of this.listScoped('Pod', scope.namespace, podQuery(scope), this.podWarnings, podRecord, { projection: POD_FIELDS })) {
      count += records.length;
      onProgress?.(count);
      yield records;
    }
  }

  async getPod(namespace: string, name: string): Promise<PodRecord | null> {
    const raw = await this.getOptional('Pod', namespace, name);
    return raw ? podRecord(raw) : null;
  }

  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<WorkloadRecord | null> {
    const raw = await this.getOptional(kind, namespace, name);
    return raw ? workloadRecord({ ...raw, kind }) : null;
  }

  async patchNamespaceLabels(name: string, patch: Record<string, string | null>): Promise<void> {
    await this.client.patch(resourcePath('Namespace', null, name), { metadata: { labels: patch } }, 'application/merge-patch+json');
  }

  async restartWorkload(kind: WorkloadKind, namespace: string, name: string, at: string): Promise<void> {
    const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
    await this.client.patch(resourcePath(kind, namespace, name), body, 'application/strategic-merge-patch+json');
  }

  private async getOptional(kind: ResourceKind, namespace: string, name: string): Promise<RawObject | null> {
    try {
      return await this.client.get(resourcePath(kind, namespace, name));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }
}

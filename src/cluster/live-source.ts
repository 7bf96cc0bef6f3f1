// State from a live API server: namespaces, webhooks and Istio ConfigMaps read once, pods paged and
// turned into records as they arrive (no page is held as text or raw objects), RBAC gaps reported as a
// partial result.
import { ApiClient, ApiError } from './api-client.js';
import { loadKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import {
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
import type { PodRecord, WorkloadKind, WorkloadRecord } from '../engine/types.js';
import { parseSelector, SelectorSyntaxError } from '../engine/selector-syntax.js';

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
} satisfies Record<string, ResourcePath>;

export type ResourceKind = keyof typeof RESOURCES;

export function resourcePath(kind: ResourceKind, namespace: string | null, name?: string): string {
  const r: ResourcePath = RESOURCES[kind];
  const root = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${root}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects: its outcome, to be looked at later. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

const LISTED_WORKLOADS: WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

export class LiveSource implements ClusterSource, ClusterWriter {
  /** Namespaces known from loadBase, for per-namespace fallbacks when a cluster-wide list is forbidden. */
  private knownNamespaces: string[] = [];
  /** RBAC gaps met while listing pods (reported after the listing). */
  readonly podWarnings: string[] = [];

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
    this.client.close();
  }

  /**
   * A list, following continue tokens, as batches of `map(raw)`: each item is parsed and mapped as it
   * arrives, so neither a page of text nor a page of raw objects is ever held, only what `map` keeps.
   * No item is yielded twice: not when a page is retried mid-response, not when an expired continue
   * token restarts the list.
   */
  async *listPages<T = RawObject>(kind: ResourceKind, namespace: string | null, query: Record<string, string | undefined> = {}, map: (raw: RawObject) => T = (raw) => raw as T): AsyncIterable<T[]> {
    const path = resourcePath(kind, namespace);
    let token: string | undefined;
    const seen = new Set<string>();
    const parseItem = (json: string): { key: string; value: T } => {
      const raw = JSON.parse(json) as RawObject;
      raw.kind ??= kind;
      return { key: `${raw.metadata?.namespace}/${raw.metadata?.name}`, value: map(raw) };
    };
    for (;;) {
      const page = this.client.listPage(path, { ...query, limit: this.pageSize > 0 ? this.pageSize : undefined, continue: token }, parseItem);
      let head: Record<string, unknown>;
      try {
        for (;;) {
          const next = await page.next();
          if (next.done) {
            head = next.value;
            break;
          }
          const out: T[] = [];
          for (const { key, value } of next.value) {
            if (seen.has(key)) continue;
            seen.add(key);
            out.push(value);
          }
          if (out.length > 0) yield out;
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 410 && token) {
          // The continue token expired: restart (or continue inconsistently if the server offers a token).
          const offered = (err.body?.metadata as { continue?: string } | undefined)?.continue;
          token = offered || undefined;
          continue;
        }
        throw err;
      } finally {
        await page.return(undefined as never);
      }
      token = (head.metadata as { continue?: string } | undefined)?.continue || undefined;
      if (!token) return;
    }
  }

  /**
   * Pages of a namespaced kind in scope. When the cluster-wide list is forbidden (a user with
   * namespace-scoped rights), lists namespace by namespace and reports those it cannot read.
   */
  async *listScoped<T>(kind: ResourceKind, namespace: string | null, query: Record<string, string | undefined>, gaps: string[], map: (raw: RawObject) => T): AsyncIterable<T[]> {
    try {
      yield* this.listPages(kind, namespace, query, map);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403)) throw err;
      if (namespace !== null || this.knownNamespaces.length === 0) {
        gaps.push(`cannot list ${RESOURCES[kind].plural}${namespace ? ` in namespace ${namespace}` : ''} (forbidden)`);
        return;
      }
    }
    const denied: string[] = [];
    for (const ns of this.knownNamespaces) {
      try {
        yield* this.listPages(kind, ns, query, map);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) denied.push(ns);
        else throw err;
      }
    }
    if (denied.length) gaps.push(`cannot list ${RESOURCES[kind].plural} in ${denied.length} namespace(s) (forbidden): ${denied.slice(0, 10).join(', ')}${denied.length > 10 ? ', ...' : ''}`);
  }

  private async listAll(kind: ResourceKind, namespace: string | null, query: Record<string, string | undefined> = {}): Promise<RawObject[]> {
    const out: RawObject[] = [];
    for await (const page of this.listPages(kind, namespace, query)) out.push(...page);
    return out;
  }

  async loadBase(scope: Scope, options: { ownersOf?: PodRecord } = {}): Promise<BaseState> {
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

    // Reads that do not depend on each other are sent together (explain's start-up is mostly round
    // trips); their outcomes are handled below in a fixed order, so warnings and errors stay the same.
    const namespacesRead = settle(scope.namespace ? this.client.get(resourcePath('Namespace', null, scope.namespace)).then((n) => [n]) : this.listAll('Namespace', null));
    const webhooksRead = settle(this.listAll('MutatingWebhookConfiguration', null));
    const proxyConfigsRead = settle(this.listAll('ProxyConfig', scope.namespace));
    // Root-namespace ProxyConfigs apply mesh-wide.
    const rootProxyConfigsRead = scope.namespace && scope.namespace !== 'istio-system' ? settle(this.listAll('ProxyConfig', 'istio-system')) : null;
    const ownersRead = options.ownersOf ? settle(this.ownerChain(options.ownersOf)) : null;

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
    let webhooks: RawObject[] = [];
    const hooks = await webhooksRead;
    if (hooks.ok) webhooks = hooks.value;
    else if (!forbidden('mutatingwebhookconfigurations', hooks.error, 'no injection webhook is known, every decision says no injection')) throw hooks.error;
    const webhookRecords = webhooks.map(webhookConfigurationRecord);
    const istioNamespaces = new Set<string>(['istio-system']);
    for (const w of webhookRecords) for (const h of w.webhooks) if (h.service?.namespace && h.name.endsWith('sidecar-injector.istio.io')) istioNamespaces.add(h.service.namespace);

    const configMaps: RawObject[] = [];
    const proxyConfigs: RawObject[] = [];
    const configMapReads = await Promise.all([...istioNamespaces].map((namespace) => settle(this.listAll('ConfigMap', namespace)).then((r) => ({ namespace, r }))));
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

    this.knownNamespaces = namespaces.map((n) => String(n.metadata?.name ?? '')).filter(Boolean);
    // Workloads (ReplicaSets are derived from pod-template-hash; not listed).
    const workloads: WorkloadRecord[] = [];
    const gaps: string[] = [];
    if (ownersRead) {
      const owners = await ownersRead;
      if (!owners.ok) throw owners.error;
      workloads.push(...owners.value);
    } else {
      await Promise.all(
        LISTED_WORKLOADS.map(async (kind) => {
          for await (const page of this.listScoped(kind, scope.namespace, {}, gaps, (raw) => longLived(workloadRecord(raw)))) workloads.push(...page);
        }),
      );
    }
    if (gaps.length) {
      partial = true;
      warnings.push(...gaps.map((g) => `${g}: their pods are attributed to workloads by name only`));
    }

    return {
      namespaces: namespaces.map((raw) => longLived(namespaceRecord(raw))),
      webhookConfigurations: webhookRecords,
      configMaps: configMaps.map(configMapRecord),
      proxyConfigs: proxyConfigs.map(proxyConfigRecord),
      workloads,
      partial,
      warnings,
    };
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
    if (scope.labelSelector) {
      try {
        parseSelector(scope.labelSelector);
      } catch (err) {
        if (err instanceof SelectorSyntaxError) throw new UserError(`invalid selector "${scope.labelSelector}": ${err.message}`, 2);
        throw err;
      }
    }
    const query = { labelSelector: scope.labelSelector ?? undefined };
    let count = 0;
    for await (const records of this.listScoped('Pod', scope.namespace, query, this.podWarnings, podRecord)) {
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

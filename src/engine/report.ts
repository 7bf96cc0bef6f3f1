// The InjectionReport of `status`: injectors, namespaces, pods and a summary, built incrementally so a
// live source can feed pods page by page.
import type { ClusterContext } from './cluster-context.js';
import { formatVersion } from './istiod-version.js';
import { expectedProxyImage } from './proxy-image.js';
import { auditNamespace, type NamespaceAudit } from './namespace-audit.js';
import { auditPod, DRIFT_CODES, type PodAudit } from './pod-audit.js';
import type { Finding, PodRecord } from './types.js';
import type { WorkloadRef } from './workloads.js';
import { componentFindings } from './ambient-findings.js';

export interface InjectorSummary {
  configuration: string;
  configurations: string[];
  revision: string;
  tags: string[];
  configMap: string;
  policy: string | null;
  proxyImage: string | null;
  enableNamespacesByDefault: boolean;
  deactivated: boolean;
  /** The istiod version ("1.26.2"), null when unknown (then the newest rules apply). */
  version: string | null;
  /** Where the version was read, or why it is unknown. */
  versionSource: string;
  /** The rule set applied, e.g. "istiod 1.26.2 (pre-1.27 rules)". */
  rules: string;
  /** The webhooks call an istiod outside this cluster and its ConfigMap is not here. */
  remote: boolean;
  findings: Finding[];
}

export interface InjectionReport {
  kind: 'InjectionReport';
  apiVersion: 'inject.istio-tools.dev/v1alpha1';
  source: { type: string; location?: string; partial: boolean; warnings: string[] };
  injectors: InjectorSummary[];
  findings: Finding[];
  namespaces: NamespaceAudit[];
  pods: PodAudit[];
  summary: {
    namespaces: number;
    pods: number;
    injected: number;
    drifted: number;
    byDrift: Record<string, number>;
    byFinding: Record<string, number>;
  };
}

export function summarizeInjectors(ctx: ClusterContext): InjectorSummary[] {
  const out: InjectorSummary[] = [];
  for (const inj of ctx.injectors.values()) {
    const hooks = ctx.hooks.filter((h) => h.revision === inj.revision);
    const active = hooks.filter((h) => !h.deactivated);
    const configurations = [...new Set(hooks.map((h) => h.configuration))];
    const primary = [...new Set(active.map((h) => h.configuration))];
    const image = inj.config ? expectedProxyImage(inj.config, {}, { imageType: inj.mesh.imageType, source: 'mesh defaultConfig.image' }).image : null;
    out.push({
      configuration: primary.find((c) => !hooks.find((h) => h.configuration === c)?.tag) ?? primary[0] ?? configurations[0] ?? '',
      configurations,
      revision: inj.revision,
      tags: inj.tags,
      configMap: `${inj.istioNamespace}/${inj.configMapName}`,
      policy: inj.config ? inj.config.policy : null,
      proxyImage: image,
      enableNamespacesByDefault: inj.config?.enableNamespacesByDefault ?? false,
      deactivated: active.length === 0,
      version: inj.version ? formatVersion(inj.version) : null,
      versionSource: inj.version ? inj.version.source : ['no version found in the injector ConfigMap or istiod Deployment', ...(inj.config?.versionNotes ?? [])].join('; '),
      rules: inj.rules.label,
      remote: inj.remote,
      findings: inj.config?.findings ?? [],
    });
  }
  return out.sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
}

export interface ReportOptions {
  /** Namespaces to report even when they hold no pod (all listed namespaces in a cluster-wide audit). */
  namespaces: string[];
  source: InjectionReport['source'];
  /** Keep only drifted pods (and pods with findings) in the pod list; counts still cover all. */
  driftOnly?: boolean;
}

/**
 * Shares equal values between pod audits: the replicas of a workload have the same workload reference,
 * actual state and drift list, so a 100,000-pod report holds a few thousand of each, not 100,000.
 */
class Interner<T> {
  private readonly values = new Map<string, T>();

  /** `key`: equal for equal values (JSON.stringify unless a cheaper key says the same). */
  constructor(private readonly key: (value: T) => string = (value) => JSON.stringify(value)) {}

  intern(value: T): T {
    const key = this.key(value);
    const known = this.values.get(key);
    if (known !== undefined) return known;
    this.values.set(key, value);
    return value;
  }
}

type ActualAudit = PodAudit['actual'];

/**
 * Every member of an audit's actual state, in the order detectActual writes them (then expectedImage).
 * The `satisfies` below fails to compile when ActualState gains a member this list does not name.
 */
const ACTUAL_MEMBERS = ['injected', 'revision', 'image', 'mode', 'viaInjector', 'manual', 'ambient', 'ambientPending', 'proxyless', 'expectedImage'] as const;
({}) as Record<(typeof ACTUAL_MEMBERS)[number], unknown> satisfies Record<keyof ActualAudit, unknown>;

/**
 * The interning key of an actual state: its values in a fixed order, each string prefixed with its
 * length (no value can run into the next), an absent member and null told apart from every string.
 * Equal keys mean equal values with the same members; members are always written in the same order, so
 * their texts are equal too.
 */
export function actualKey(actual: ActualAudit): string {
  let key = '';
  for (const member of ACTUAL_MEMBERS) {
    const v = actual[member];
    key += v === undefined ? '-' : v === null ? 'n' : v === true ? 't' : v === false ? 'f' : `${v.length}:${v}`;
  }
  return key;
}

/** Members of a pod audit whose objects ReportBuilder shares between pods (renderers may reuse their text). */
export const SHARED_POD_MEMBERS = ['workload', 'desired', 'actual', 'drift'] as const;

export class ReportBuilder {
  private readonly namespaces = new Map<string, NamespaceAudit>();
  private readonly workloads = new Interner<WorkloadRef>((w) => `${w.kind}/${w.name}`);
  private readonly actuals = new Interner<ActualAudit>(actualKey);
  /** Drift codes and empty finding lists: arrays of plain codes, joined (codes hold no comma). */
  private readonly drifts = new Interner<PodAudit['drift']>((d) => d.join(','));
  private readonly noFindings = new Interner<PodAudit['findings']>(() => '');
  private readonly pods: PodAudit[] = [];
  /**
   * The pods came in report order: build() need not sort them. A cluster-wide list's usually is (key
   * order `<namespace>/<name>` differs where a namespace name is a prefix of another: team-a/ < team/).
   */
  private inOrder = true;
  private readonly byDrift: Record<string, number> = {};
  private readonly byFinding: Record<string, number> = {};
  private total = 0;
  private injected = 0;
  private drifted = 0;
  private ambientPods = 0;

  /**
   * Namespaces are audited when their first pod comes, those without pods in build(): not all at once
   * here, where 2,000 of them held up the reading of the first pod pages by 40 ms. The same audit either
   * way: a namespace's audit reads only the base state (labels, webhooks, injector configuration,
   * ambient objects), which is complete before the first pod is added.
   */
  constructor(
    private readonly ctx: ClusterContext,
    private readonly options: ReportOptions,
  ) {}

  private namespace(name: string): NamespaceAudit {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = auditNamespace(this.ctx, name);
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  addPod(pod: PodRecord): PodAudit {
    const detail = auditPod(this.ctx, pod);
    const audit: PodAudit = {
      namespace: detail.namespace,
      name: detail.name,
      workload: detail.workload && this.workloads.intern(detail.workload),
      desired: detail.desired,
      actual: this.actuals.intern(detail.actual),
      drift: this.drifts.intern(detail.drift),
      findings: detail.findings.length ? detail.findings : this.noFindings.intern(detail.findings),
      ...(detail.notCaptured ? { notCaptured: detail.notCaptured } : {}),
    };
    if (detail.dataplane.dataplane === 'ambient') this.ambientPods++;
    const ns = this.namespace(pod.namespace);
    ns.pods++;
    this.total++;
    if (audit.actual.injected) {
      ns.injected++;
      this.injected++;
    }
    if (audit.drift.length > 0) {
      ns.drifted++;
      this.drifted++;
    }
    for (const d of audit.drift) this.byDrift[d] = (this.byDrift[d] ?? 0) + 1;
    for (const f of audit.findings) this.byFinding[f.code] = (this.byFinding[f.code] ?? 0) + 1;
    if (!this.options.driftOnly || audit.drift.length > 0 || audit.findings.some((f) => f.severity !== 'info')) {
      const last = this.pods[this.pods.length - 1];
      if (last && this.inOrder && podOrder(last, audit) > 0) this.inOrder = false;
      this.pods.push(audit);
    }
    return audit;
  }

  build(): InjectionReport {
    for (const name of this.options.namespaces) this.namespace(name);
    const namespaces = [...this.namespaces.values()].sort((a, b) => cmp(a.name, b.name));
    for (const ns of namespaces) for (const f of ns.findings) this.byFinding[f.code] = (this.byFinding[f.code] ?? 0) + 1;
    const findings = [...this.ctx.findings];
    if (this.ctx.hooks.length === 0) {
      findings.push({ code: 'NoInjector', severity: 'error', message: 'no sidecar injection webhook (name ending in sidecar-injector.istio.io) in the cluster' });
    }
    const ambientNamespaces = namespaces.filter((n) => n.labels['istio.io/dataplane-mode'] === 'ambient').length;
    if (ambientNamespaces > 0 || this.ambientPods > 0) {
      const what = ambientNamespaces > 0 ? `${ambientNamespaces} namespace${ambientNamespaces === 1 ? ' asks' : 's ask'} for ambient` : `${this.ambientPods} pod${this.ambientPods === 1 ? ' asks' : 's ask'} for ambient`;
      findings.push(...componentFindings(this.ctx.ambient, what));
    }
    for (const f of findings) this.byFinding[f.code] = (this.byFinding[f.code] ?? 0) + 1;
    const byDrift: Record<string, number> = {};
    for (const code of DRIFT_CODES) if (this.byDrift[code]) byDrift[code] = this.byDrift[code];
    const pods = this.inOrder ? this.pods : this.pods.sort(podOrder);
    return {
      kind: 'InjectionReport',
      apiVersion: 'inject.istio-tools.dev/v1alpha1',
      source: this.options.source,
      injectors: summarizeInjectors(this.ctx),
      findings,
      namespaces,
      pods,
      summary: {
        namespaces: namespaces.length,
        pods: this.total,
        injected: this.injected,
        drifted: this.drifted,
        byDrift,
        byFinding: sortKeys(this.byFinding),
      },
    };
  }
}

/** Report order: by namespace, then name. */
function podOrder(a: PodAudit, b: PodAudit): number {
  return a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => cmp(a, b)));
}

/** Whether the report has drift or error-severity findings (exit code 3 with --exit-code). */
export function hasProblems(report: InjectionReport): boolean {
  if (report.summary.drifted > 0) return true;
  const isError = (f: Finding) => f.severity === 'error';
  return report.findings.some(isError) || report.namespaces.some((n) => n.findings.some(isError)) || report.pods.some((p) => p.findings.some(isError));
}

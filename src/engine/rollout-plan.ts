// Planning a rollout: the namespace label changes requested, then every Deployment, StatefulSet and
// DaemonSet whose pods would drift under the resulting labels (audited with the same engine as status).
// Bare pods, Jobs, CronJobs and ownerless ReplicaSets are manual actions. Pure: the shell applies it.
import { buildClusterContext, type ClusterContext } from './cluster-context.js';
import { IGNORED_NAMESPACES } from './injector-policy.js';
import { decide } from './decision.js';
import { auditPod, type PodAudit } from './pod-audit.js';
import { ambientPreflight, migrationLabels, migrationLabelView, MIGRATION_LABELS, servesInjectionEnabled, type AmbientPreflight } from './ambient-migration.js';
import { rolloutProgress } from './rollout-progress.js';
import type { ClusterState, Labels, NamespaceRecord, WorkloadKind, WorkloadRecord } from './types.js';

export type LabelChange =
  | { kind: 'enable' }
  | { kind: 'disable' }
  | { kind: 'revision'; revision: string }
  | { kind: 'none' }
  /** --to-ambient: istio.io/dataplane-mode=ambient, istio-injection and istio.io/rev removed. */
  | { kind: 'ambient' }
  /** --to-sidecar REV: istio.io/rev=REV (or istio-injection=enabled for a default revision served so), istio.io/dataplane-mode removed. */
  | { kind: 'sidecar'; revision: string };

export interface NamespacePatch {
  namespace: string;
  from: Labels;
  to: Labels;
  /** Merge patch of metadata.labels (null removes), touching only the injection labels. */
  patch: Record<string, string | null>;
}

export interface WorkloadAction {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /**
   * restart: patch the template; wait: a rollout is already in progress, wait for it; skip: see reason;
   * blocked: the injector would refuse its next pods (InjectionRejected), so a restart would stall.
   */
  action: 'restart' | 'wait' | 'skip' | 'blocked';
  pods: number;
  drifted: number;
  drift: string[];
  reason: string;
}

export interface ManualAction {
  kind: 'Pod' | 'Job' | 'CronJob' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
  pods: number;
  drift: string[];
  reason: string;
}

export interface RolloutPlan {
  namespaces: NamespacePatch[];
  workloads: WorkloadAction[];
  manual: ManualAction[];
  /** Namespaces the plan covers. */
  scope: string[];
  /** An ambient migration (--to-ambient / --to-sidecar): its direction. */
  migration?: 'ambient' | 'sidecar';
  /** --to-ambient: the preflight checks (passed, or the plan would not exist). */
  preflight?: AmbientPreflight;
}

export class PlanError extends Error {}

const INJECTION_LABELS = ['istio-injection', 'istio.io/rev'] as const;

/** Namespaces left out of -A unless named: Kubernetes' own, istio-system and istiod's namespaces. */
export function systemNamespaces(ctx: ClusterContext): Set<string> {
  const out = new Set<string>([...IGNORED_NAMESPACES, 'istio-system']);
  for (const h of ctx.hooks) out.add(h.istioNamespace);
  return out;
}

export function labelPatch(labels: Labels, change: LabelChange, migration?: Record<string, string | null>): Record<string, string | null> {
  const want: Record<string, string | null> = {};
  const keys: readonly string[] = migration ? MIGRATION_LABELS : INJECTION_LABELS;
  if (migration) Object.assign(want, migration);
  else switch (change.kind) {
    case 'revision':
      want['istio.io/rev'] = change.revision;
      want['istio-injection'] = null;
      break;
    case 'enable':
      want['istio-injection'] = 'enabled';
      break;
    case 'disable':
      want['istio-injection'] = 'disabled';
      break;
    default:
      break;
  }
  const patch: Record<string, string | null> = {};
  for (const key of keys) {
    if (!(key in want)) continue;
    const value = want[key] ?? null;
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    if (value === null ? has : labels[key] !== value) patch[key] = value;
  }
  return patch;
}

function applyPatch(labels: Labels, patch: Record<string, string | null>): Labels {
  const out = { ...labels };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

export interface PlanOptions {
  /** Namespaces named by the user (-n); null = every namespace (-A), system ones left out. */
  namespaces: string[] | null;
  change: LabelChange;
  /** --to-ambient: go on although some AuthorizationPolicies would lose their L7 rules. */
  acceptPolicyGaps?: boolean;
}

export function planRollout(state: ClusterState, options: PlanOptions): RolloutPlan {
  const current = buildClusterContext(state);
  const change = options.change;
  if ((change.kind === 'revision' || change.kind === 'sidecar') && !current.served.has(change.revision) && !(change.kind === 'sidecar' && change.revision === 'default' && servesInjectionEnabled(current))) {
    const known = [...current.served.keys()].sort().join(', ') || 'none';
    throw new PlanError(`revision "${change.revision}" is not served by any injection webhook (known revisions and tags: ${known}); nothing was changed`);
  }
  const migration = change.kind === 'ambient' || change.kind === 'sidecar' ? migrationLabels(current, change) : undefined;
  const view = migration ? migrationLabelView : pick;
  const known = new Set(state.namespaces.map((n) => n.name));
  let scope: string[];
  if (options.namespaces) {
    for (const ns of options.namespaces) if (!known.has(ns)) throw new PlanError(`namespace "${ns}" not found; nothing was changed`);
    scope = [...options.namespaces];
  } else {
    const system = systemNamespaces(current);
    scope = state.namespaces.map((n) => n.name).filter((n) => !system.has(n));
  }
  const inScope = new Set(scope);

  const namespacePatches: NamespacePatch[] = [];
  const namespaces: NamespaceRecord[] = state.namespaces.map((ns) => {
    if (!inScope.has(ns.name)) return ns;
    const patch = labelPatch(ns.labels, change, migration);
    if (Object.keys(patch).length === 0) return ns;
    const to = applyPatch(ns.labels, patch);
    namespacePatches.push({ namespace: ns.name, from: view(ns.labels), to: view(to), patch });
    return { ...ns, labels: to };
  });
  if (options.change.kind === 'enable') {
    const servesEnabled = current.hooks.some(
      (h) => !h.deactivated && h.namespaceSelector.valid && h.namespaceSelector.requirements.some((r) => r.key === 'istio-injection' && r.operator === 'In' && r.values.includes('enabled')),
    );
    if (!servesEnabled) {
      throw new PlanError('no injection webhook serves istio-injection=enabled (no default revision or "default" tag); use --revision REV instead; nothing was changed');
    }
  }

  // Audit the pods of the scope under the labels as they will be.
  const ctx = buildClusterContext({ ...state, namespaces });
  const groups = new Map<string, { kind: string; namespace: string; name: string; pods: number; drifted: number; drift: Set<string>; rejected: boolean }>();
  const audits: PodAudit[] = [];
  for (const pod of state.pods) {
    if (!inScope.has(pod.namespace)) continue;
    const full = auditPod(ctx, pod);
    audits.push(full);
    // NotCaptured is not for a restart to fix: the CNI agent captures running pods.
    const audit = full.drift.includes('NotCaptured') ? { ...full, drift: full.drift.filter((d) => d !== 'NotCaptured') } : full;
    const owner = audit.workload ?? { kind: 'Pod', name: pod.name };
    const key = `${pod.namespace}/${owner.kind}/${owner.name}`;
    let g = groups.get(key);
    if (!g) {
      g = { kind: owner.kind, namespace: pod.namespace, name: owner.name, pods: 0, drifted: 0, drift: new Set(), rejected: false };
      groups.set(key, g);
    }
    g.pods++;
    if (audit.findings.some((f) => f.code === 'InjectionRejected')) g.rejected = true;
    if (audit.drift.length > 0) g.drifted++;
    for (const d of audit.drift) g.drift.add(d);
  }

  let preflight: AmbientPreflight | undefined;
  if (change.kind === 'ambient') {
    preflight = ambientPreflight(ctx, audits, options.acceptPolicyGaps ?? false);
    if (preflight.refusal) throw new PlanError(preflight.refusal);
  }

  const workloads: WorkloadAction[] = [];
  const manual: ManualAction[] = [];
  for (const g of groups.values()) {
    if (g.drifted === 0 && !g.rejected) continue;
    const drift = [...g.drift];
    if (g.kind === 'Deployment' || g.kind === 'StatefulSet' || g.kind === 'DaemonSet') {
      const record = ctx.workloads.get(g.kind, g.namespace, g.name);
      const base = { kind: g.kind as WorkloadKind, namespace: g.namespace, name: g.name, pods: g.pods, drifted: g.drifted, drift };
      // What decides is the template the restart would create pods from, not the running pods.
      const refused = record ? templateRefusal(ctx, record) : null;
      if (refused) {
        workloads.push({ ...base, action: 'blocked', reason: refused });
        continue;
      }
      // Pods refused for their own (older) annotations while the current template is accepted: a restart fixes them.
      const { action, reason } = record ? workloadAction(record) : { action: 'skip' as const, reason: `${g.kind.toLowerCase()} not found (pods are orphaned)` };
      const why = action === 'restart' && drift.length > 0 && drift.every((d) => d === 'SidecarInAmbient') ? 'a restart drops the sidecar; ambient captures the new pods' : reason;
      if (action === 'manual') manual.push({ kind: g.kind as ManualAction['kind'], namespace: g.namespace, name: g.name, pods: g.pods, drift, reason });
      else workloads.push({ ...base, action, reason: why });
    } else {
      if (g.drifted === 0) continue;
      const reason =
        g.kind === 'Pod'
          ? 'bare pod: re-create it from its manifest'
          : g.kind === 'ReplicaSet'
            ? 'ReplicaSet without a Deployment: delete its pods or re-apply it'
            : `${g.kind}: its pods are re-created only when it runs again`;
      manual.push({ kind: g.kind as ManualAction['kind'], namespace: g.namespace, name: g.name, pods: g.pods, drift, reason });
    }
  }
  const order = (a: { namespace: string; kind: string; name: string }, b: typeof a) =>
    a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
  return {
    namespaces: namespacePatches.sort((a, b) => a.namespace.localeCompare(b.namespace)),
    workloads: workloads.sort(order),
    manual: manual.sort(order),
    scope: scope.sort(),
    ...(migration ? { migration: change.kind as 'ambient' | 'sidecar' } : {}),
    ...(preflight ? { preflight } : {}),
  };
}

/**
 * Why the injector would refuse the pods a restart of this workload creates (InjectionRejected on its pod
 * template), or null. Used by the plan and again, on the template as it is then, right before a restart.
 */
export function templateRefusal(ctx: ClusterContext, workload: WorkloadRecord): string | null {
  const refusal = decide(ctx, workload.template).refusal;
  if (!refusal) return null;
  const first = refusal.rejections[0]!;
  return `InjectionRejected: istiod ${refusal.hook.revision} would refuse its new pods (${first.annotation ? `annotation ${first.annotation}=${JSON.stringify(first.value)}: ` : ''}${first.message}); fix the pod template first`;
}

/** The cluster context with the plan's namespace label changes applied (what restarts will meet). */
export function contextAfterLabels(state: ClusterState, plan: Pick<RolloutPlan, 'namespaces'>): ClusterContext {
  const patched = new Map(plan.namespaces.map((p) => [p.namespace, p.patch]));
  return buildClusterContext({
    ...state,
    namespaces: state.namespaces.map((ns) => (patched.has(ns.name) ? { ...ns, labels: applyPatch(ns.labels, patched.get(ns.name)!) } : ns)),
  });
}

/** What to do with a drifted Deployment, StatefulSet or DaemonSet, given its rollout state. */
function workloadAction(record: WorkloadRecord): { action: WorkloadAction['action'] | 'manual'; reason: string } {
  if (record.status.paused) return { action: 'skip', reason: 'paused: resume it first (kubectl rollout resume)' };
  if (record.kind !== 'Deployment' && record.status.strategy === 'OnDelete') {
    return { action: 'manual', reason: 'updateStrategy OnDelete: a restart replaces no pod; delete its pods to re-create them' };
  }
  const progress = rolloutProgress(record.kind, record.status);
  if (progress.state === 'failed') return { action: 'skip', reason: `its last rollout failed (${progress.message}): fix or undo it first (kubectl rollout undo)` };
  if (progress.state === 'progressing') return { action: 'wait', reason: `rollout already in progress (${progress.message})` };
  return { action: 'restart', reason: 'a restart re-injects its pods' };
}

function pick(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of INJECTION_LABELS) if (labels[k] !== undefined) out[k] = labels[k] as string;
  return out;
}

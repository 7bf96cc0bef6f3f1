// Migrating namespaces between sidecars and ambient (rollout --to-ambient / --to-sidecar REV): the
// label changes, the preflight that refuses before anything is sent, and what "converged" means.
// Istio's sidecar-to-ambient steps: install ztunnel and istio-cni (ambient enabled), deploy waypoints
// and move L7 policies onto them, label the namespace istio.io/dataplane-mode=ambient (and drop the
// sidecar labels), restart the workloads so their pods lose the sidecar; the CNI agent captures the
// running pods without a restart. Back: label for injection, drop istio.io/dataplane-mode, restart.
import { captureBlocker } from './ambient-components.js';
import type { ClusterContext } from './cluster-context.js';
import { DATAPLANE_MODE } from './dataplane.js';
import type { PodAudit } from './pod-audit.js';
import type { Labels } from './types.js';

/** The labels an ambient migration sets or removes (and nothing else). */
export const MIGRATION_LABELS = ['istio-injection', 'istio.io/rev', DATAPLANE_MODE] as const;

/** Whether some active webhook serves istio-injection=enabled (a default revision or a "default" tag). */
export function servesInjectionEnabled(ctx: ClusterContext): boolean {
  return ctx.hooks.some(
    (h) => !h.deactivated && h.namespaceSelector.valid && h.namespaceSelector.requirements.some((r) => r.key === 'istio-injection' && r.operator === 'In' && r.values.includes('enabled')),
  );
}

/** The labels wanted (null = removed) for --to-ambient, or for --to-sidecar REV. */
export function migrationLabels(ctx: ClusterContext, change: { kind: 'ambient' } | { kind: 'sidecar'; revision: string }): Record<string, string | null> {
  if (change.kind === 'ambient') return { [DATAPLANE_MODE]: 'ambient', 'istio-injection': null, 'istio.io/rev': null };
  // The default revision is selected by istio-injection=enabled where some webhook serves it (the
  // classic install); otherwise by istio.io/rev, as revision-only installs and tags are.
  if (change.revision === 'default' && servesInjectionEnabled(ctx)) return { 'istio-injection': 'enabled', 'istio.io/rev': null, [DATAPLANE_MODE]: null };
  return { 'istio.io/rev': change.revision, 'istio-injection': null, [DATAPLANE_MODE]: null };
}

export interface PolicyGap {
  /** namespace/name of the AuthorizationPolicy. */
  policy: string;
  message: string;
  /** Pods of the plan it applies to. */
  pods: number;
}

export interface AmbientPreflight {
  /** Checks in order, each passed or not. */
  checks: { check: string; ok: boolean; detail: string }[];
  policyGaps: PolicyGap[];
  /** The one-line reason to refuse, or null. */
  refusal: string | null;
}

/**
 * Before --to-ambient: ztunnel and istio-cni present, ready and ambient-enabled; then the policies that
 * sidecars enforce and ztunnel would not, on the pods the plan moves (L7PolicyNeedsWaypoint), which
 * refuse the migration unless accepted.
 */
export function ambientPreflight(ctx: ClusterContext, audits: PodAudit[], acceptPolicyGaps: boolean): AmbientPreflight {
  const c = ctx.ambient.components;
  const checks: AmbientPreflight['checks'] = [
    { check: 'ztunnel', ok: Boolean(c.ztunnel?.healthy), detail: c.ztunnel ? `${c.ztunnel.object}: ${c.ztunnel.summary}` : 'no ztunnel DaemonSet' },
    {
      check: 'istio-cni',
      ok: Boolean(c.cni?.healthy) && c.cniSettings.ambientEnabled !== false,
      detail: c.cni ? `${c.cni.object}: ${c.cni.summary}${c.cniSettings.ambientEnabled === false ? ', ambient disabled' : ''}` : 'no istio-cni-node DaemonSet',
    },
  ];
  const gaps = new Map<string, PolicyGap>();
  for (const a of audits) {
    for (const f of a.findings) {
      if (f.code !== 'L7PolicyNeedsWaypoint' || !f.object) continue;
      const policy = f.object.replace(/^authorizationpolicy\//, '');
      const gap = gaps.get(policy) ?? { policy, message: f.message, pods: 0 };
      gap.pods++;
      gaps.set(policy, gap);
    }
  }
  const policyGaps = [...gaps.values()].sort((x, y) => x.policy.localeCompare(y.policy));
  checks.push({ check: 'policies', ok: policyGaps.length === 0 || acceptPolicyGaps, detail: policyGaps.length ? `${policyGaps.length} AuthorizationPolicy(s) ztunnel would not enforce${acceptPolicyGaps ? ' (accepted with --accept-policy-gaps)' : ''}` : 'every policy on these pods is L4 or targets a waypoint' });

  let refusal: string | null = null;
  const blocker = captureBlocker(c);
  if (blocker) refusal = `preflight: ${blocker}, so no pod would be captured after the relabel; nothing was changed`;
  else if (policyGaps.length && !acceptPolicyGaps) {
    const list = policyGaps.map((g) => `${g.policy} (${g.pods} pod${g.pods === 1 ? '' : 's'})`).join(', ');
    refusal = `preflight: ${policyGaps.length} AuthorizationPolicy(s) with rules ztunnel does not enforce would apply to the migrated pods: ${list}; deploy a waypoint and move them to targetRefs, or pass --accept-policy-gaps; nothing was changed`;
  }
  return { checks, policyGaps, refusal };
}

/**
 * What keeps a pod of the migration from having converged, or null. Capture needs no restart, so every
 * pod of a relabelled namespace must end up captured (--to-ambient); a sidecar is dropped or added only
 * by a restart, so that is asked only of the restarted workloads' pods (bare pods and Jobs are manual).
 */
export function migrationPending(change: 'ambient' | 'sidecar', audit: PodAudit, where: { relabelled: boolean; restarted: boolean }): string | null {
  const found: string[] = [];
  for (const d of audit.drift) {
    if (change === 'ambient' && d === 'NotCaptured' && (where.relabelled || where.restarted)) found.push(d);
    else if (change === 'ambient' && d === 'SidecarInAmbient' && where.restarted) found.push(d);
    else if (change === 'sidecar' && (d === 'MissingSidecar' || d === 'SidecarInAmbient') && where.restarted) found.push(d);
  }
  return found.length ? found.join(',') : null;
}

/** Labels of a namespace restricted to the migration labels (plan display). */
export function migrationLabelView(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of MIGRATION_LABELS) if (labels[k] !== undefined) out[k] = labels[k] as string;
  return out;
}

// The rollout plan and its result as kubectl-style tables.
import type { RolloutPlan } from '../engine/rollout-plan.js';
import type { ApplyResult } from '../rollout/apply-plan.js';
import type { PodAudit } from '../engine/pod-audit.js';
import { renderTable } from './plain-table.js';

const labels = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';

export function renderPlan(plan: RolloutPlan): string {
  const out: string[] = [];
  if (plan.preflight) {
    out.push('Preflight (ambient):');
    out.push(renderTable(['CHECK', 'RESULT', 'DETAIL'], plan.preflight.checks.map((c) => [c.check, c.ok ? 'ok' : 'FAILED', c.detail])));
    for (const g of plan.preflight.policyGaps) out.push(`  accepted gap: authorizationpolicy/${g.policy} (${g.pods} pod${g.pods === 1 ? '' : 's'}): ${g.message}`);
    if (plan.preflight.policyGaps.length) out.push('');
  }
  if (plan.namespaces.length) {
    out.push('Namespace label changes:');
    out.push(renderTable(['NAMESPACE', 'FROM', 'TO'], plan.namespaces.map((n) => [n.namespace, labels(n.from), labels(n.to)])));
  } else out.push('Namespace label changes: none\n');
  if (plan.workloads.length) {
    out.push('Workloads:');
    out.push(renderTable(['NAMESPACE', 'WORKLOAD', 'ACTION', 'DRIFTED', 'DRIFT', 'REASON'], plan.workloads.map((w) => [w.namespace, `${w.kind}/${w.name}`, w.action, `${w.drifted}/${w.pods}`, w.drift.join(','), w.action === 'restart' ? '-' : w.reason])));
  } else out.push('Workloads: none to restart\n');
  if (plan.manual.length) {
    out.push('Manual action needed (never deleted by rollout):');
    out.push(renderTable(['NAMESPACE', 'OBJECT', 'PODS', 'DRIFT', 'WHAT TO DO'], plan.manual.map((m) => [m.namespace, `${m.kind}/${m.name}`, String(m.pods), m.drift.join(','), m.reason])));
  }
  return out.join('\n');
}

export function renderResult(result: ApplyResult, remaining: PodAudit[]): string {
  const out: string[] = [];
  if (result.workloads.length) {
    out.push(renderTable(['NAMESPACE', 'WORKLOAD', 'ACTION', 'OUTCOME', 'MESSAGE'], result.workloads.map((w) => [w.namespace, `${w.kind}/${w.name}`, w.action, w.outcome, w.message])));
  }
  if (result.stoppedBy) out.push(`Stopped early: ${result.stoppedBy}`);
  const drifting = new Map<string, Set<string>>();
  for (const p of remaining) {
    if (!p.drift.length) continue;
    const key = `${p.namespace}/${p.workload ? `${p.workload.kind}/${p.workload.name}` : `Pod/${p.name}`}`;
    const set = drifting.get(key) ?? new Set<string>();
    p.drift.forEach((d) => set.add(d));
    drifting.set(key, set);
  }
  const converged = result.workloads.filter((w) => w.outcome === 'rolled-out' && !drifting.has(`${w.namespace}/${w.kind}/${w.name}`));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  out.push(`Re-audit: ${plural(converged.length, 'workload')} converged; ${plural(drifting.size, 'object')} still ${drifting.size === 1 ? 'drifts' : 'drift'}${drifting.size ? ':' : '.'}`);
  for (const [k, v] of drifting) out.push(`  ${k}: ${[...v].join(', ')}`);
  return `${out.join('\n')}\n`;
}

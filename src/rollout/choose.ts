// The interactive part of rollout: pick namespaces and workloads (drifted ones pre-selected), then
// confirm the exact requests that will be sent.
import { checkbox, confirm } from '@inquirer/prompts';
import type { NamespacePatch, RolloutPlan, WorkloadAction } from '../engine/rollout-plan.js';

export interface PromptContext {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export interface Selection {
  namespaces: NamespacePatch[];
  workloads: WorkloadAction[];
}

type Choice = { kind: 'ns'; item: NamespacePatch } | { kind: 'wl'; item: WorkloadAction };

export function describeRequests(selection: Selection): string[] {
  const lines: string[] = [];
  for (const n of selection.namespaces) {
    lines.push(`PATCH namespace/${n.namespace} metadata.labels ${JSON.stringify(n.patch)} (merge patch)`);
  }
  for (const w of selection.workloads) {
    if (w.action === 'restart') lines.push(`PATCH ${w.kind.toLowerCase()}/${w.name} -n ${w.namespace} spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] (what kubectl rollout restart sends)`);
    else lines.push(`(no request) wait for the rollout of ${w.kind.toLowerCase()}/${w.name} -n ${w.namespace} already in progress`);
  }
  return lines;
}

export async function chooseAndConfirm(plan: RolloutPlan, context: PromptContext = {}): Promise<Selection | null> {
  const choices: { name: string; value: Choice; checked: boolean }[] = [
    ...plan.namespaces.map((n) => ({
      name: `namespace ${n.namespace}: ${Object.entries(n.patch).map(([k, v]) => (v === null ? `remove ${k}` : `${k}=${v}`)).join(', ')}`,
      value: { kind: 'ns', item: n } as Choice,
      checked: true,
    })),
    ...plan.workloads
      .filter((w) => w.action === 'restart' || w.action === 'wait')
      .map((w) => ({
        name: `${w.action} ${w.kind.toLowerCase()}/${w.name} -n ${w.namespace} (${w.drifted}/${w.pods} pods drift: ${w.drift.join(', ')})`,
        value: { kind: 'wl', item: w } as Choice,
        checked: w.drifted > 0,
      })),
  ];
  if (choices.length === 0) return { namespaces: [], workloads: [] };
  const picked = await checkbox({ message: 'Select what to change (space toggles, enter accepts)', choices, pageSize: 20, loop: false }, context);
  const selection: Selection = {
    namespaces: picked.filter((c): c is Extract<Choice, { kind: 'ns' }> => c.kind === 'ns').map((c) => c.item),
    workloads: picked.filter((c): c is Extract<Choice, { kind: 'wl' }> => c.kind === 'wl').map((c) => c.item),
  };
  if (selection.namespaces.length === 0 && selection.workloads.length === 0) return null;
  const summary = describeRequests(selection).map((l) => `  ${l}`).join('\n');
  const ok = await confirm({ message: `These requests will be sent:\n${summary}\nProceed?`, default: false }, context);
  return ok ? selection : null;
}

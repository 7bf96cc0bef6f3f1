// Carrying out a confirmed rollout plan: label patches first, then restarts (at most N at once), each
// rollout waited for with a deadline; the first failure stops new work; an abort (Ctrl-C) too.
import { rolloutProgress, type RolloutProgress } from '../engine/rollout-progress.js';
import type { NamespacePatch, WorkloadAction } from '../engine/rollout-plan.js';
import type { WorkloadKind, WorkloadRecord } from '../engine/types.js';
import { ApiError } from '../cluster/api-client.js';

export interface RolloutTarget {
  patchNamespaceLabels(name: string, patch: Record<string, string | null>): Promise<void>;
  restartWorkload(kind: WorkloadKind, namespace: string, name: string, at: string): Promise<void>;
  getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<WorkloadRecord | null>;
}

export type WorkloadOutcome = 'rolled-out' | 'failed' | 'timed-out' | 'not-started' | 'interrupted' | 'blocked';

export interface WorkloadResult {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  action: 'restart' | 'wait';
  outcome: WorkloadOutcome;
  message: string;
}

export interface ApplyResult {
  labelled: string[];
  workloads: WorkloadResult[];
  /** Set when the run stopped early: the first failure, or an interruption. */
  stoppedBy: string | null;
}

export interface ApplyOptions {
  maxConcurrent: number;
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  now?: () => Date;
  onEvent?: (text: string) => void;
  /**
   * Checked on the workload as it is right before its restart: a reason it must not be restarted (the
   * injector would refuse its new pods), or null. A blocked workload is skipped; the run goes on.
   */
  refusalOf?: (workload: WorkloadRecord) => string | null;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** kubectl's restartedAt format: RFC 3339 with seconds. */
export function restartTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function withConflictRetry(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && attempt < 5) continue;
      throw err;
    }
  }
}

export async function applyPlan(namespaces: NamespacePatch[], workloads: WorkloadAction[], target: RolloutTarget, options: ApplyOptions): Promise<ApplyResult> {
  const emit = options.onEvent ?? (() => {});
  const result: ApplyResult = { labelled: [], workloads: [], stoppedBy: null };
  for (const ns of namespaces) {
    if (options.signal?.aborted) {
      result.stoppedBy = 'interrupted';
      break;
    }
    await withConflictRetry(() => target.patchNamespaceLabels(ns.namespace, ns.patch));
    result.labelled.push(ns.namespace);
    emit(`namespace/${ns.namespace} labelled ${Object.entries(ns.patch).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`)).join(' ')}`);
  }

  const queue = workloads.filter((w) => w.action === 'restart' || w.action === 'wait');
  const results = new Map<WorkloadAction, WorkloadResult>();
  const stop = () => result.stoppedBy !== null || options.signal?.aborted === true;
  const pollMs = options.pollMs ?? 1000;

  const runOne = async (w: WorkloadAction): Promise<void> => {
    const action = w.action as 'restart' | 'wait';
    const record: WorkloadResult = { kind: w.kind, namespace: w.namespace, name: w.name, action, outcome: 'not-started', message: '' };
    results.set(w, record);
    const label = `${w.kind.toLowerCase()}/${w.name} -n ${w.namespace}`;
    if (action === 'restart' && options.refusalOf) {
      const current = await target.getWorkload(w.kind, w.namespace, w.name);
      const refused = current ? options.refusalOf(current) : null;
      if (refused) {
        record.outcome = 'blocked';
        record.message = `not restarted: ${refused}`;
        emit(`${label} not restarted: the injector would refuse its new pods`);
        return;
      }
    }
    if (action === 'restart') {
      await withConflictRetry(() => target.restartWorkload(w.kind, w.namespace, w.name, restartTimestamp(options.now?.() ?? new Date())));
      emit(`${label} restarted`);
    } else emit(`${label}: rollout already in progress, waiting`);
    const deadline = Date.now() + options.timeoutMs;
    let last: RolloutProgress = { state: 'progressing', message: 'waiting' };
    for (;;) {
      if (options.signal?.aborted) {
        record.outcome = 'interrupted';
        record.message = `interrupted while waiting (${last.message})`;
        return;
      }
      const current = await target.getWorkload(w.kind, w.namespace, w.name);
      if (!current) {
        record.outcome = 'failed';
        record.message = `${w.kind.toLowerCase()} disappeared during the rollout`;
        return;
      }
      last = rolloutProgress(current.kind, current.status);
      if (last.state === 'complete') {
        record.outcome = 'rolled-out';
        record.message = last.message;
        emit(`${label} ${last.message}`);
        return;
      }
      if (last.state === 'failed') {
        record.outcome = 'failed';
        record.message = last.message;
        return;
      }
      if (Date.now() >= deadline) {
        record.outcome = 'timed-out';
        record.message = `not finished after ${Math.round(options.timeoutMs / 1000)}s (${last.message})`;
        return;
      }
      emit(`${label}: ${last.message}`);
      await sleep(pollMs, options.signal);
    }
  };

  let next = 0;
  const worker = async () => {
    while (!stop() && next < queue.length) {
      const w = queue[next++] as WorkloadAction;
      try {
        await runOne(w);
      } catch (err) {
        const r = results.get(w);
        if (r) {
          r.outcome = 'failed';
          r.message = (err as Error).message.split('\n')[0] ?? String(err);
        }
      }
      const r = results.get(w);
      if (r && (r.outcome === 'failed' || r.outcome === 'timed-out') && result.stoppedBy === null) {
        result.stoppedBy = `${w.kind.toLowerCase()}/${w.name} in ${w.namespace}: ${r.message}`;
      }
    }
  };
  if (result.stoppedBy === null) {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.maxConcurrent, queue.length)) }, worker));
  }
  if (options.signal?.aborted && result.stoppedBy === null) result.stoppedBy = 'interrupted';
  for (const w of queue) {
    result.workloads.push(
      results.get(w) ?? { kind: w.kind, namespace: w.namespace, name: w.name, action: w.action as 'restart' | 'wait', outcome: 'not-started', message: 'not started: the run stopped first' },
    );
  }
  return result;
}

import { describe, expect, it } from 'vitest';
import { applyPlan, restartTimestamp, type RolloutTarget } from '../../src/rollout/apply-plan.js';
import { ApiError } from '../../src/cluster/api-client.js';
import type { WorkloadAction } from '../../src/engine/rollout-plan.js';
import type { WorkloadKind, WorkloadRecord } from '../../src/engine/types.js';

/** A fake cluster whose rollouts finish after `steps` polls (or never, or fail). */
function fakeTarget(behaviour: Record<string, 'ok' | 'never' | 'fail'>, steps = 2) {
  const log: string[] = [];
  const polls = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const target: RolloutTarget = {
    async patchNamespaceLabels(name, patch) {
      log.push(`label ${name} ${JSON.stringify(patch)}`);
    },
    async restartWorkload(kind, ns, name, at) {
      log.push(`restart ${kind}/${ns}/${name} ${at}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      polls.set(name, 0);
    },
    async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<WorkloadRecord> {
      const n = (polls.get(name) ?? 0) + 1;
      polls.set(name, n);
      const how = behaviour[name] ?? 'ok';
      const finished = how === 'ok' && n >= steps;
      if (finished || how === 'fail') inFlight--;
      return {
        kind, namespace, name, labels: {}, owner: null, selector: null,
        template: { namespace, name: '', labels: {}, annotations: {}, creationTimestamp: null, hostNetwork: false, containers: [], initContainers: [], owner: null },
        status: { generation: 2, observedGeneration: 2, desired: 1, current: 1, updated: finished ? 1 : 0, ready: 1, available: 1, paused: false, progressDeadlineExceeded: how === 'fail' },
      };
    },
  };
  return { target, log, maxInFlight: () => maxInFlight };
}

const wl = (name: string, action: 'restart' | 'wait' = 'restart'): WorkloadAction => ({ kind: 'Deployment', namespace: 'ns', name, action, pods: 1, drifted: 1, drift: ['MissingSidecar'], reason: '' });
const now = () => new Date('2026-11-23T10:00:00.123Z');

describe('applyPlan', () => {
  it('labels first, restarts with kubectl timestamps, waits for each rollout', async () => {
    const { target, log } = fakeTarget({});
    const r = await applyPlan([{ namespace: 'ns', from: {}, to: {}, patch: { 'istio.io/rev': 'canary', 'istio-injection': null } }], [wl('a'), wl('b')], target, { maxConcurrent: 1, timeoutMs: 5000, pollMs: 1, now });
    expect(log).toEqual(['label ns {"istio.io/rev":"canary","istio-injection":null}', 'restart Deployment/ns/a 2026-11-23T10:00:00Z', 'restart Deployment/ns/b 2026-11-23T10:00:00Z']);
    expect(r.workloads.map((w) => w.outcome)).toEqual(['rolled-out', 'rolled-out']);
    expect(r.stoppedBy).toBeNull();
  });

  it('never restarts a workload whose rollout is in progress: it only waits', async () => {
    const { target, log } = fakeTarget({});
    const r = await applyPlan([], [wl('a', 'wait')], target, { maxConcurrent: 1, timeoutMs: 5000, pollMs: 1, now });
    expect(log).toEqual([]);
    expect(r.workloads[0]).toMatchObject({ action: 'wait', outcome: 'rolled-out' });
  });

  it('stops at the first failed rollout and starts nothing further', async () => {
    const { target, log } = fakeTarget({ b: 'fail' });
    const r = await applyPlan([], [wl('a'), wl('b'), wl('c')], target, { maxConcurrent: 1, timeoutMs: 5000, pollMs: 1, now });
    expect(log.filter((l) => l.startsWith('restart')).length).toBe(2);
    expect(r.workloads.map((w) => w.outcome)).toEqual(['rolled-out', 'failed', 'not-started']);
    expect(r.stoppedBy).toMatch(/deployment\/b in ns: exceeded its progress deadline/);
  });

  it('a rollout past --timeout counts as failed', async () => {
    const { target } = fakeTarget({ a: 'never' });
    const r = await applyPlan([], [wl('a'), wl('b')], target, { maxConcurrent: 1, timeoutMs: 30, pollMs: 5, now });
    expect(r.workloads.map((w) => w.outcome)).toEqual(['timed-out', 'not-started']);
  });

  it('keeps at most --max-concurrent rollouts in flight', async () => {
    const { target, maxInFlight } = fakeTarget({}, 3);
    await applyPlan([], ['a', 'b', 'c', 'd', 'e'].map((n) => wl(n)), target, { maxConcurrent: 2, timeoutMs: 5000, pollMs: 1, now });
    expect(maxInFlight()).toBe(2);
  });

  it('an abort stops starting new work and reports what was done', async () => {
    const { target, log } = fakeTarget({ a: 'never' });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    const r = await applyPlan([], [wl('a'), wl('b')], target, { maxConcurrent: 1, timeoutMs: 5000, pollMs: 2, now, signal: abort.signal });
    expect(log.filter((l) => l.startsWith('restart'))).toHaveLength(1);
    expect(r.stoppedBy).toBe('interrupted');
    expect(r.workloads.map((w) => w.outcome)).toEqual(['interrupted', 'not-started']);
  });

  it('retries a 409 conflict', async () => {
    const { target, log } = fakeTarget({});
    let conflicts = 1;
    const original = target.restartWorkload;
    target.restartWorkload = async (...args) => {
      if (conflicts-- > 0) throw new ApiError(409, 'Conflict', 'the object has been modified');
      return original(...args);
    };
    const r = await applyPlan([], [wl('a')], target, { maxConcurrent: 1, timeoutMs: 5000, pollMs: 1, now });
    expect(r.workloads[0]!.outcome).toBe('rolled-out');
    expect(log).toHaveLength(1);
  });

  it('formats restartedAt like kubectl (RFC 3339, seconds)', () => {
    expect(restartTimestamp(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05Z');
  });
});

describe('applyPlan: the template is checked again right before each restart', () => {
  it('a workload whose current template the injector would refuse is not restarted; the run goes on', async () => {
    const { target, log } = fakeTarget({});
    const r = await applyPlan([], [wl('a'), wl('b')], target, {
      maxConcurrent: 1,
      timeoutMs: 5000,
      pollMs: 1,
      now,
      refusalOf: (w) => (w.name === 'a' ? 'InjectionRejected: istiod canary would refuse its new pods' : null),
    });
    expect(log).toEqual(['restart Deployment/ns/b 2026-11-23T10:00:00Z']);
    expect(r.workloads.map((w) => `${w.name}:${w.outcome}`)).toEqual(['a:blocked', 'b:rolled-out']);
    expect(r.workloads[0]!.message).toContain('InjectionRejected');
    expect(r.stoppedBy).toBeNull();
  });
});

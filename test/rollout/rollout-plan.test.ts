import { describe, expect, it } from 'vitest';
import { labelPatch, planRollout, PlanError } from '../../src/engine/rollout-plan.js';
import { cluster, deployment, pod } from './fixtures.js';

describe('labelPatch touches only the injection labels', () => {
  it.each([
    [{ 'istio.io/rev': 'stable', team: 'x' }, { kind: 'revision', revision: 'canary' }, { 'istio.io/rev': 'canary' }],
    [{ 'istio-injection': 'enabled', team: 'x' }, { kind: 'revision', revision: 'canary' }, { 'istio.io/rev': 'canary', 'istio-injection': null }],
    [{ 'istio.io/rev': 'canary' }, { kind: 'revision', revision: 'canary' }, {}],
    [{}, { kind: 'enable' }, { 'istio-injection': 'enabled' }],
    [{ 'istio-injection': 'enabled' }, { kind: 'enable' }, {}],
    [{ 'istio-injection': 'enabled' }, { kind: 'disable' }, { 'istio-injection': 'disabled' }],
    [{ 'istio.io/rev': 'x' }, { kind: 'none' }, {}],
  ] as const)('%j + %j -> %j', (labels, change, patch) => {
    expect(labelPatch({ ...labels }, change as never)).toEqual(patch);
  });
});

describe('planRollout', () => {
  it('moving a namespace to canary restarts its drifted Deployments and lists bare pods as manual', () => {
    const plan = planRollout(cluster(), { namespaces: ['shop'], change: { kind: 'revision', revision: 'canary' } });
    expect(plan.namespaces).toEqual([{ namespace: 'shop', from: { 'istio.io/rev': 'stable' }, to: { 'istio.io/rev': 'canary' }, patch: { 'istio.io/rev': 'canary' } }]);
    expect(plan.workloads).toEqual([expect.objectContaining({ kind: 'Deployment', namespace: 'shop', name: 'cart', action: 'restart', pods: 2, drifted: 2, drift: ['RevisionMismatch'] })]);
    expect(plan.manual).toEqual([expect.objectContaining({ kind: 'Pod', namespace: 'shop', name: 'debug', drift: ['MissingSidecar'] })]);
    expect(plan.scope).toEqual(['shop']);
  });

  it('without a label change, restarts only what drifts now; -A leaves system namespaces out', () => {
    const plan = planRollout(cluster(), { namespaces: null, change: { kind: 'none' } });
    expect(plan.namespaces).toEqual([]);
    expect(plan.workloads.map((w) => `${w.namespace}/${w.name}`)).toEqual(['blog/web']);
    expect(plan.scope).toEqual(['blog', 'shop']);
  });

  it('a system namespace named explicitly is planned', () => {
    const plan = planRollout(cluster(), { namespaces: ['kube-system'], change: { kind: 'revision', revision: 'stable' } });
    expect(plan.namespaces.map((n) => n.namespace)).toEqual(['kube-system']);
    // kube-system is ignored by the injector: relabelling changes no pod there.
    expect(plan.workloads).toEqual([]);
  });

  it('refuses an unknown revision before anything is changed', () => {
    expect(() => planRollout(cluster(), { namespaces: ['shop'], change: { kind: 'revision', revision: 'nope' } })).toThrow(PlanError);
    expect(() => planRollout(cluster(), { namespaces: ['shop'], change: { kind: 'revision', revision: 'nope' } })).toThrow(/known revisions and tags: canary, stable/);
  });

  it('refuses --enable when nothing serves istio-injection=enabled, and an unknown namespace', () => {
    expect(() => planRollout(cluster(), { namespaces: ['shop'], change: { kind: 'enable' } })).toThrow(/no injection webhook serves istio-injection=enabled/);
    expect(() => planRollout(cluster(), { namespaces: ['nope'], change: { kind: 'none' } })).toThrow(/namespace "nope" not found/);
  });

  it('a workload already rolling is waited for, not restarted; a paused one is skipped', () => {
    const state = cluster([
      deployment('blog', 'api', { observedGeneration: 1 }),
      pod('blog', 'api-abc12-x', { kind: 'ReplicaSet', name: 'api-abc12' }, null),
      deployment('blog', 'old', {}, { paused: true }),
      pod('blog', 'old-abc12-x', { kind: 'ReplicaSet', name: 'old-abc12' }, null),
    ]);
    const plan = planRollout(state, { namespaces: ['blog'], change: { kind: 'none' } });
    const byName = Object.fromEntries(plan.workloads.map((w) => [w.name, w.action]));
    expect(byName).toEqual({ api: 'wait', old: 'skip', web: 'restart' });
    expect(plan.workloads.find((w) => w.name === 'api')!.reason).toMatch(/already in progress/);
  });

  it('a converged cluster plans nothing (a re-run restarts nothing twice)', () => {
    const state = cluster();
    state.pods = state.pods.filter((p) => p.name !== 'debug' && p.namespace !== 'blog');
    const plan = planRollout(state, { namespaces: ['shop'], change: { kind: 'revision', revision: 'stable' } });
    expect(plan).toMatchObject({ namespaces: [], workloads: [], manual: [] });
  });
});

describe('planRollout: workloads whose rollout cannot help', () => {
  it('a Deployment whose last rollout failed is skipped with the reason, not waited for', () => {
    const state = cluster([
      deployment('blog', 'stuck', { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }], updatedReplicas: 1 }),
      pod('blog', 'stuck-abc12-x', { kind: 'ReplicaSet', name: 'stuck-abc12' }, null),
    ]);
    const stuck = planRollout(state, { namespaces: ['blog'], change: { kind: 'none' } }).workloads.find((w) => w.name === 'stuck')!;
    expect(stuck).toMatchObject({ action: 'skip', reason: expect.stringMatching(/last rollout failed \(exceeded its progress deadline\)/) });
  });

  it('an OnDelete StatefulSet is a manual action', () => {
    const sts = {
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'blog', generation: 1 },
      spec: { replicas: 1, updateStrategy: { type: 'OnDelete' }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } } },
      status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, currentRevision: 'r', updateRevision: 'r' },
    };
    const state = cluster([sts, pod('blog', 'db-0', { kind: 'StatefulSet', name: 'db' }, null)]);
    const plan = planRollout(state, { namespaces: ['blog'], change: { kind: 'none' } });
    expect(plan.workloads.find((w) => w.name === 'db')).toBeUndefined();
    expect(plan.manual).toEqual([expect.objectContaining({ kind: 'StatefulSet', name: 'db', reason: expect.stringMatching(/OnDelete/) })]);
  });
});

describe('planRollout: workloads the injector would refuse are blocked, never restarted', () => {
  const badTemplate = (name: string, annotations: Record<string, string>) =>
    deployment('shop', name, {}, { template: { metadata: { labels: { app: name }, annotations }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } });
  const refused = { 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432,redis' };

  it('a drifted Deployment whose template is refused: blocked, with the annotation and the rule', () => {
    const state = cluster([badTemplate('ledger', refused), pod('shop', 'ledger-abc12-x', { kind: 'ReplicaSet', name: 'ledger-abc12' }, 'stable')]);
    const plan = planRollout(state, { namespaces: ['shop'], change: { kind: 'revision', revision: 'canary' } });
    const ledger = plan.workloads.find((w) => w.name === 'ledger')!;
    expect(ledger.action).toBe('blocked');
    expect(ledger.reason).toContain('traffic.sidecar.istio.io/excludeOutboundPorts="5432,redis"');
    expect(ledger.reason).toContain("failed parsing port 'redis'");
    expect(plan.workloads.find((w) => w.name === 'cart')!.action).toBe('restart');
  });

  it('pods that carry the refused annotation and do not drift otherwise: still listed as blocked', () => {
    const p = pod('shop', 'ledger-abc12-x', { kind: 'ReplicaSet', name: 'ledger-abc12' }, 'stable');
    p.metadata.annotations = { ...p.metadata.annotations, ...refused };
    const plan = planRollout(cluster([badTemplate('ledger', refused), p]), { namespaces: ['shop'], change: { kind: 'none' } });
    expect(plan.workloads.map((w) => `${w.name}:${w.action}`)).toEqual(['ledger:blocked']);
  });

  it('the template decides, not the running pods: a fixed template is restarted', () => {
    const p = pod('shop', 'ledger-abc12-x', { kind: 'ReplicaSet', name: 'ledger-abc12' }, 'stable');
    p.metadata.annotations = { ...p.metadata.annotations, ...refused };
    const plan = planRollout(cluster([badTemplate('ledger', {}), p]), { namespaces: ['shop'], change: { kind: 'revision', revision: 'canary' } });
    expect(plan.workloads.find((w) => w.name === 'ledger')?.action).toBe('restart');
  });
});

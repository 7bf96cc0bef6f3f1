// The InjectionReport of `status` (contract: kind, injectors, namespaces, pods, summary).
import { describe, expect, it } from 'vitest';
import { actualKey, hasProblems, ReportBuilder, summarizeInjectors } from '../../src/engine/report.js';
import { auditPod as auditOf } from '../../src/engine/pod-audit.js';
import type { ClusterContext } from '../../src/engine/cluster-context.js';
import type { PodRecord } from '../../src/engine/types.js';
import { context, deactivatedWebhookConfig, injectedPod, injectorConfigMap, ns, pod, webhookConfig } from './helpers.js';

const CMS = [injectorConfigMap({ revision: '' }), injectorConfigMap({ revision: 'canary', values: { tag: '1.25.0' } })];
const SOURCE = { type: 'snapshot', partial: false, warnings: [] as string[] };

function build(ctx: ClusterContext, namespaces: string[], pods: PodRecord[], driftOnly = false) {
  const b = new ReportBuilder(ctx, { namespaces, source: SOURCE, driftOnly });
  for (const p of pods) b.addPod(p);
  return b.build();
}

describe('injectors', () => {
  it('one entry per revision with its configurations, tags, ConfigMap, policy and proxy image', () => {
    const ctx = context({ webhookConfigurations: [webhookConfig('a'), webhookConfig('c'), webhookConfig('d')], configMaps: CMS });
    const injectors = summarizeInjectors(ctx);
    expect(injectors.map((i) => i.revision)).toEqual(['canary', 'default']);
    expect(injectors[0]).toMatchObject({
      configuration: 'istio-sidecar-injector-canary',
      revision: 'canary',
      tags: ['prod'],
      configMap: 'istio-system/istio-sidecar-injector-canary',
      policy: 'enabled',
      proxyImage: 'docker.io/istio/proxyv2:1.25.0',
      deactivated: false,
    });
    expect([...injectors[0]!.configurations].sort()).toEqual(['istio-revision-tag-prod', 'istio-sidecar-injector-canary']);
    expect(injectors[1]).toMatchObject({
      configuration: 'istio-sidecar-injector',
      revision: 'default',
      tags: [],
      configMap: 'istio-system/istio-sidecar-injector',
      policy: 'enabled',
      proxyImage: 'docker.io/istio/proxyv2:1.28.0',
    });
  });

  it('after `istioctl tag set default`: the old default revision is deactivated, the tag belongs to canary', () => {
    const ctx = context({ webhookConfigurations: [deactivatedWebhookConfig('a'), webhookConfig('c'), webhookConfig('e')], configMaps: CMS });
    const [canary, def] = summarizeInjectors(ctx);
    expect(canary).toMatchObject({ revision: 'canary', tags: ['default'], configuration: 'istio-sidecar-injector-canary', deactivated: false });
    expect(def).toMatchObject({ revision: 'default', deactivated: true });
  });

  it('a missing ConfigMap leaves policy and image unknown', () => {
    const [inj] = summarizeInjectors(context({ webhookConfigurations: [webhookConfig('c')] }));
    expect(inj).toMatchObject({ revision: 'canary', policy: null, proxyImage: null, configMap: 'istio-system/istio-sidecar-injector-canary' });
  });
});

describe('ReportBuilder', () => {
  const ctx = context({
    webhookConfigurations: [webhookConfig('a'), webhookConfig('c')],
    configMaps: CMS,
    namespaces: [ns('inj', { 'istio-injection': 'enabled' }), ns('canary', { 'istio.io/rev': 'canary' }), ns('empty', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' })],
  });
  const pods = [
    injectedPod('default', { namespace: 'inj', name: 'ok' }),
    pod({ namespace: 'inj', name: 'missing' }),
    injectedPod('default', { namespace: 'canary', name: 'wrong-rev' }),
    pod({ namespace: 'canary', name: 'cpu', annotations: { 'sidecar.istio.io/proxyCPU': '1' } }),
  ];

  it('builds the contract shape with counts', () => {
    const report = build(ctx, ['canary', 'empty', 'inj'], pods);
    expect(report.kind).toBe('InjectionReport');
    expect(report.summary).toEqual({
      namespaces: 3,
      pods: 4,
      injected: 2,
      drifted: 3,
      byDrift: { MissingSidecar: 2, RevisionMismatch: 1 },
      byFinding: { ConflictingLabels: 1, ProxyCPUWithoutLimit: 1 },
    });
    expect(report.namespaces.map((n) => [n.name, n.revision, n.pods, n.injected, n.drifted])).toEqual([
      ['canary', 'canary', 2, 1, 2],
      ['empty', 'default', 0, 0, 0],
      ['inj', 'default', 2, 1, 1],
    ]);
    expect(report.namespaces[1]!.findings.map((f) => f.code)).toEqual(['ConflictingLabels']);
    expect(report.pods.map((p) => `${p.namespace}/${p.name}:${p.drift.join('+')}`)).toEqual([
      'canary/cpu:MissingSidecar',
      'canary/wrong-rev:RevisionMismatch',
      'inj/missing:MissingSidecar',
      'inj/ok:',
    ]);
    expect(report.findings).toEqual([]);
    expect(hasProblems(report)).toBe(true);
  });

  it('pods come out in report order whatever order they came in (a cluster-wide list has it already)', () => {
    const names = (list: PodRecord[]) => build(ctx, ['canary', 'empty', 'inj'], list).pods.map((p) => `${p.namespace}/${p.name}`);
    const inOrder = [pod({ namespace: 'canary', name: 'a' }), pod({ namespace: 'canary', name: 'b' }), pod({ namespace: 'inj', name: 'a' })];
    expect(names(inOrder)).toEqual(['canary/a', 'canary/b', 'inj/a']);
    // In order but for the last one (by name, then by namespace).
    expect(names([...inOrder, pod({ namespace: 'inj', name: '0' })])).toEqual(['canary/a', 'canary/b', 'inj/0', 'inj/a']);
    expect(names([...inOrder, pod({ namespace: 'canary', name: 'c' })])).toEqual(['canary/a', 'canary/b', 'canary/c', 'inj/a']);
    // A cluster-wide list's key order (`team-a/` before `team/`) is not report order.
    expect(names([pod({ namespace: 'team-a', name: 'x' }), pod({ namespace: 'team', name: 'y' })])).toEqual(['team/y', 'team-a/x']);
  });

  it('driftOnly keeps drifted pods (and pods with findings) but counts every pod', () => {
    const report = build(ctx, ['inj'], [injectedPod('default', { namespace: 'inj', name: 'ok' }), pod({ namespace: 'inj', name: 'missing' })], true);
    expect(report.pods.map((p) => p.name)).toEqual(['missing']);
    expect(report.summary.pods).toBe(2);
  });

  it('a clean cluster has no problems', () => {
    const report = build(ctx, ['inj'], [injectedPod('default', { namespace: 'inj', name: 'ok' })]);
    expect(report.summary.drifted).toBe(0);
    expect(hasProblems(report)).toBe(false);
  });

  it('NoInjector is reported for a cluster without any injection webhook', () => {
    const bare = context({ namespaces: [ns('inj', { 'istio-injection': 'enabled' })] });
    const report = build(bare, ['inj'], [pod({ namespace: 'inj' })]);
    expect(report.findings.map((f) => f.code)).toEqual(['NoInjector']);
    expect(report.namespaces[0]!.findings.map((f) => f.code)).toEqual(['NoInjector']);
    expect(report.pods[0]!.drift).toEqual([]);
    expect(report.injectors).toEqual([]);
    expect(hasProblems(report)).toBe(true);
  });
});

describe('actualKey: the interning key of a pod\'s actual state', () => {
  const base = { injected: true, revision: 'canary', image: 'docker.io/istio/proxyv2:1.25.0', mode: 'sidecar', viaInjector: true, manual: false, ambient: false, proxyless: false } as const;

  it('is equal for equal states and different when any member differs', () => {
    expect(actualKey({ ...base })).toBe(actualKey({ ...base }));
    const variants = [
      { ...base, injected: false },
      { ...base, revision: null },
      { ...base, revision: 'null' },
      { ...base, revision: '' },
      { ...base, image: null },
      { ...base, mode: 'native-sidecar' as const },
      { ...base, viaInjector: false },
      { ...base, manual: true },
      { ...base, ambient: true },
      { ...base, ambientPending: true },
      { ...base, ambientPending: false },
      { ...base, proxyless: true },
      { ...base, expectedImage: null },
      { ...base, expectedImage: 'docker.io/istio/proxyv2:1.25.0' },
      { ...base, expectedImage: '' },
      // No value runs into the next.
      { ...base, revision: 'ab', image: 'c' },
      { ...base, revision: 'a', image: 'bc' },
      { ...base, revision: 'a\u0002b', image: 'c' },
      { ...base, revision: 'a', image: 'b\u0002c' },
    ];
    const keys = [actualKey(base), ...variants.map(actualKey)];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('equal keys give equal text: the report of many pods is the JSON of each pod\'s own state', () => {
    const ctx = context({ webhookConfigurations: [webhookConfig('a')], configMaps: CMS });
    const pods = [injectedPod('default', { name: 'a-1' }), injectedPod('default', { name: 'a-2' }), pod({ name: 'b' })];
    const report = build(ctx, ['demo'], pods);
    const actual = (name: string) => report.pods.find((p) => p.name === name)!.actual;
    expect(actual('a-1')).toBe(actual('a-2'));
    expect(actual('b')).not.toBe(actual('a-1'));
    expect(JSON.stringify(actual('b'))).toBe(JSON.stringify(auditOf(ctx, pods[2]!).actual));
    expect(JSON.stringify(actual('a-2'))).toBe(JSON.stringify(auditOf(ctx, pods[1]!).actual));
  });
});

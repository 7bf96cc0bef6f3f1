// The InjectionExplanation of `explain` (contract: target, webhooks with every requirement, injector steps in
// Istio's order, decision, actual, drift, findings, remedies).
import { describe, expect, it } from 'vitest';
import { explainPod, explainTemplate } from '../../src/engine/explanation.js';
import { APP, classicProxy, context, injectedPod, injectorConfigMap, ns, pod, webhookConfig, workload } from './helpers.js';

const ctx = context({
  webhookConfigurations: [webhookConfig('a'), webhookConfig('c')],
  configMaps: [injectorConfigMap({ revision: '' }), injectorConfigMap({ revision: 'canary' })],
  namespaces: [ns('inj', { 'istio-injection': 'enabled' }), ns('canary', { 'istio.io/rev': 'canary' }), ns('plain', {}), ns('both', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' })],
});

describe('explainPod', () => {
  const owned = { owner: { kind: 'ReplicaSet', name: 'web-7d9c5b8f6' }, labels: { 'pod-template-hash': '7d9c5b8f6' } };

  it('lists every webhook with each selector requirement marked', () => {
    const e = explainPod(ctx, pod({ namespace: 'canary', ...owned }));
    expect(e.kind).toBe('InjectionExplanation');
    expect(e.target).toEqual({ kind: 'Pod', namespace: 'canary', name: 'web-7d9c5b8f6-abcde' });
    expect(e.webhooks).toHaveLength(6);
    expect(e.webhooks.filter((w) => w.matched).map((w) => `${w.configuration}/${w.webhook}`)).toEqual(['istio-sidecar-injector-canary/rev.namespace.sidecar-injector.istio.io']);
    const rn = e.webhooks.find((w) => w.configuration === 'istio-sidecar-injector-canary' && w.webhook.startsWith('rev.namespace'))!;
    expect(rn.revision).toBe('canary');
    expect(rn.namespaceSelector.requirements).toEqual([
      { key: 'istio.io/rev', operator: 'In', values: ['canary'], matched: true, actual: 'canary' },
      { key: 'istio-injection', operator: 'DoesNotExist', values: [], matched: true, actual: null },
    ]);
    const nsHook = e.webhooks.find((w) => w.configuration === 'istio-sidecar-injector' && w.webhook.startsWith('namespace.'))!;
    expect(nsHook.matched).toBe(false);
    expect(nsHook.namespaceSelector.requirements).toEqual([{ key: 'istio-injection', operator: 'In', values: ['enabled'], matched: false, actual: null }]);
  });

  it('shows the injector checks in Istio order, the decision, drift and the restart command', () => {
    const e = explainPod(ctx, pod({ namespace: 'canary', ...owned }));
    expect(e.injector?.configMap).toBe('istio-system/istio-sidecar-injector-canary');
    expect(e.injector?.steps.map((s) => s.check)).toEqual(['spec.hostNetwork', 'ignored namespaces', 'sidecar.istio.io/inject', 'neverInjectSelector', 'alwaysInjectSelector', 'policy']);
    expect(e.decision).toMatchObject({ inject: true, revision: 'canary' });
    expect(e.drift).toEqual(['MissingSidecar']);
    expect(e.workload).toEqual({ kind: 'Deployment', name: 'web' });
    expect(e.remedies).toContain('kubectl rollout restart deployment/web -n canary');
  });

  it('a bare pod cannot be restarted by rollout', () => {
    const e = explainPod(ctx, injectedPod('default', { namespace: 'plain', name: 'lonely' }));
    expect(e.drift).toEqual(['UnexpectedSidecar']);
    expect(e.remedies.some((r) => r.includes('kubectl delete pod lonely -n plain'))).toBe(true);
    expect(e.remedies.some((r) => r.startsWith('kubectl rollout restart'))).toBe(false);
  });

  it('namespace findings come with their fix', () => {
    const e = explainPod(ctx, pod({ namespace: 'both', ...owned }));
    expect(e.decision).toMatchObject({ inject: true, revision: 'default' });
    expect(e.remedies.some((r) => r.startsWith('kubectl label namespace both istio.io/rev-'))).toBe(true);
  });

  it('no webhook matched: the injector section says istiod is never asked', () => {
    const e = explainPod(ctx, pod({ namespace: 'plain' }));
    expect(e.decision.inject).toBe(false);
    expect(e.injector?.inject).toBe(false);
    expect(e.injector?.steps[0]).toMatchObject({ check: 'webhook', decisive: true });
    expect(e.drift).toEqual([]);
    expect(e.remedies).toEqual([]);
  });
});

describe('explainTemplate', () => {
  it('a Deployment whose template already carries istio-proxy, where no webhook injects, is a manual sidecar', () => {
    const w = workload('Deployment', 'manual', { containers: [APP, classicProxy()] }, 'plain');
    const e = explainTemplate(ctx, { kind: 'Deployment', namespace: 'plain', name: 'manual' }, w.template);
    expect(e.findings.map((f) => f.code)).toContain('ManualSidecar');
    expect(e.actual).toBeNull();
    expect(e.decision).toMatchObject({ inject: false });
  });

  // istio-fidelity.md section 4 (was: ManualSidecar): the webhook merges the template's istio-proxy into its own.
  it('a Deployment whose template carries istio-proxy where a webhook injects is re-injected, not manual', () => {
    const w = workload('Deployment', 'manual', { containers: [APP, classicProxy()] }, 'inj');
    const e = explainTemplate(ctx, { kind: 'Deployment', namespace: 'inj', name: 'manual' }, w.template);
    expect(e.findings.map((f) => f.code)).not.toContain('ManualSidecar');
    expect(e.decision).toMatchObject({ inject: true, revision: 'default' });
  });

  it('a manifest not applied yet: what would happen', () => {
    const e = explainTemplate(ctx, { kind: 'Deployment', namespace: 'plain', name: 'new' }, pod({ namespace: 'plain', name: '', labels: { 'istio.io/rev': 'canary' } }));
    expect(e.decision).toMatchObject({ inject: true, revision: 'canary' });
    expect(e.pods).toEqual([]);
    expect(e.drift).toEqual([]);
  });
});

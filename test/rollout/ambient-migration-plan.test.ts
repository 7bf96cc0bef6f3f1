// Planning --to-ambient and --to-sidecar REV: the label patches, the preflight refusals (nothing is
// planned, so nothing is sent), the workloads restarted, and what verification waits for.
import { describe, expect, it } from 'vitest';
import { planRollout, PlanError } from '../../src/engine/rollout-plan.js';
import { migrationPending } from '../../src/engine/ambient-migration.js';
import type { PodAudit } from '../../src/engine/pod-audit.js';
import type { RawObject } from '../../src/cluster/records.js';
import { cluster } from './fixtures.js';

const daemonSet = (name: string, ready: number, labels: Record<string, string>): RawObject => ({
  kind: 'DaemonSet',
  metadata: { name, namespace: 'istio-system', generation: 1 },
  spec: { template: { metadata: { labels } } },
  status: { observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: ready, numberAvailable: ready },
});
const ZTUNNEL = daemonSet('ztunnel', 2, { app: 'ztunnel' });
const CNI = daemonSet('istio-cni-node', 2, { 'k8s-app': 'istio-cni-node' });

const l7Policy: RawObject = {
  kind: 'AuthorizationPolicy',
  apiVersion: 'security.istio.io/v1',
  metadata: { name: 'cart-get', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'cart-abc12' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] },
};

describe('planRollout --to-ambient', () => {
  it('relabels to istio.io/dataplane-mode=ambient and restarts only the workloads that run a sidecar', () => {
    const plan = planRollout(cluster([ZTUNNEL, CNI]), { namespaces: ['shop'], change: { kind: 'ambient' } });
    expect(plan.migration).toBe('ambient');
    expect(plan.namespaces).toEqual([
      { namespace: 'shop', from: { 'istio.io/rev': 'stable' }, to: { 'istio.io/dataplane-mode': 'ambient' }, patch: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': null } },
    ]);
    expect(plan.workloads).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'cart', action: 'restart', drift: ['SidecarInAmbient'], reason: 'a restart drops the sidecar; ambient captures the new pods' })]);
    // The bare pod without a sidecar is captured in place: no manual action, no restart.
    expect(plan.manual).toEqual([]);
    expect(plan.preflight?.checks.every((c) => c.ok)).toBe(true);
  });

  it('removes istio-injection too, and changes nothing else', () => {
    const state = cluster([ZTUNNEL, CNI, { kind: 'Namespace', metadata: { name: 'legacy', labels: { 'istio-injection': 'enabled', 'istio.io/rev': 'x', owner: 'me' } } }]);
    const plan = planRollout(state, { namespaces: ['legacy'], change: { kind: 'ambient' } });
    expect(plan.namespaces[0]!.patch).toEqual({ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': null, 'istio.io/rev': null });
  });

  it.each([
    ['no ztunnel', [CNI], /^preflight: no ztunnel DaemonSet in the cluster, so no pod would be captured after the relabel; nothing was changed$/],
    ['ztunnel not ready', [daemonSet('ztunnel', 1, { app: 'ztunnel' }), CNI], /ztunnel istio-system\/ztunnel is not ready \(1\/2 pods ready\)/],
    ['no istio-cni', [ZTUNNEL], /no istio-cni node agent/],
    ['istio-cni not ready', [ZTUNNEL, daemonSet('istio-cni-node', 0, { 'k8s-app': 'istio-cni-node' })], /istio-cni istio-system\/istio-cni-node is not ready \(0\/2 pods ready\)/],
    [
      'istio-cni without ambient',
      [ZTUNNEL, CNI, { kind: 'ConfigMap', metadata: { name: 'istio-cni-config', namespace: 'istio-system' }, data: { AMBIENT_ENABLED: 'false' } }],
      /ambient disabled/,
    ],
  ])('refuses: %s', (_name, extra, message) => {
    expect(() => planRollout(cluster(extra as RawObject[]), { namespaces: ['shop'], change: { kind: 'ambient' } })).toThrow(PlanError);
    expect(() => planRollout(cluster(extra as RawObject[]), { namespaces: ['shop'], change: { kind: 'ambient' } })).toThrow(message);
  });

  it('refuses an L7 policy gap unless accepted', () => {
    const state = cluster([ZTUNNEL, CNI, l7Policy]);
    expect(() => planRollout(state, { namespaces: ['shop'], change: { kind: 'ambient' } })).toThrow(/1 AuthorizationPolicy\(s\) .*: shop\/cart-get \(2 pods\); .*--accept-policy-gaps; nothing was changed/);
    const plan = planRollout(state, { namespaces: ['shop'], change: { kind: 'ambient' }, acceptPolicyGaps: true });
    expect(plan.preflight?.policyGaps).toEqual([expect.objectContaining({ policy: 'shop/cart-get', pods: 2 })]);
    // A namespace the policy does not reach is not refused.
    expect(() => planRollout(state, { namespaces: ['blog'], change: { kind: 'ambient' } })).not.toThrow();
  });
});

describe('planRollout --to-sidecar REV', () => {
  const ambientShop = () => {
    const state = cluster([ZTUNNEL, CNI]);
    const shop = state.namespaces.find((n) => n.name === 'shop')!;
    shop.labels = { team: 'shop', 'istio.io/dataplane-mode': 'ambient' };
    return state;
  };

  it('sets istio.io/rev=REV, removes istio.io/dataplane-mode, restarts what lacks a sidecar', () => {
    const plan = planRollout(ambientShop(), { namespaces: ['shop'], change: { kind: 'sidecar', revision: 'canary' } });
    expect(plan.migration).toBe('sidecar');
    expect(plan.namespaces[0]!.patch).toEqual({ 'istio.io/rev': 'canary', 'istio.io/dataplane-mode': null });
    expect(plan.workloads.map((w) => [w.name, w.drift])).toEqual([['cart', ['RevisionMismatch']]]);
    expect(plan.manual.map((m) => m.name)).toEqual(['debug']);
  });

  it('an unknown revision is refused', () => {
    expect(() => planRollout(ambientShop(), { namespaces: ['shop'], change: { kind: 'sidecar', revision: 'nope' } })).toThrow(/revision "nope" is not served/);
  });

  it('default uses istio-injection=enabled where a webhook serves it, else istio.io/rev=default', () => {
    const defaultHook: RawObject = {
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'istio-sidecar-injector' },
      webhooks: [
        {
          name: 'namespace.sidecar-injector.istio.io',
          clientConfig: { service: { name: 'istiod', namespace: 'istio-system' } },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          namespaceSelector: { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] },
        },
      ],
    };
    const state = cluster([ZTUNNEL, CNI, defaultHook]);
    state.namespaces.find((n) => n.name === 'shop')!.labels = { 'istio.io/dataplane-mode': 'ambient' };
    const plan = planRollout(state, { namespaces: ['shop'], change: { kind: 'sidecar', revision: 'default' } });
    expect(plan.namespaces[0]!.patch).toEqual({ 'istio-injection': 'enabled', 'istio.io/dataplane-mode': null });
  });
});

describe('migrationPending: what verification waits for', () => {
  const audit = (drift: string[]) => ({ drift }) as unknown as PodAudit;
  it('to ambient: capture everywhere relabelled, the sidecar only where restarted', () => {
    expect(migrationPending('ambient', audit(['NotCaptured']), { relabelled: true, restarted: false })).toBe('NotCaptured');
    expect(migrationPending('ambient', audit(['SidecarInAmbient']), { relabelled: true, restarted: false })).toBeNull();
    expect(migrationPending('ambient', audit(['SidecarInAmbient']), { relabelled: true, restarted: true })).toBe('SidecarInAmbient');
    expect(migrationPending('ambient', audit([]), { relabelled: true, restarted: true })).toBeNull();
  });
  it('to sidecar: only the restarted workloads must carry a sidecar', () => {
    expect(migrationPending('sidecar', audit(['MissingSidecar']), { relabelled: true, restarted: false })).toBeNull();
    expect(migrationPending('sidecar', audit(['MissingSidecar']), { relabelled: true, restarted: true })).toBe('MissingSidecar');
    expect(migrationPending('sidecar', audit(['ProxyImageMismatch']), { relabelled: true, restarted: true })).toBeNull();
  });
});

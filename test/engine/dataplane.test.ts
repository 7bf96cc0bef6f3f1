// The desired data plane, from Istio's rules (reference: injection facts section 7, ambient migration
// facts section 8; Istio 1.28 cni/pkg/util/enablement_selector.go, the istio-cni chart's
// ambient.enablementSelectors and excludeNamespaces). Every rule has a case that fails if it is wrong.
import { describe, expect, it } from 'vitest';
import { desiredDataplane, type DataplaneInput } from '../../src/engine/dataplane.js';

function input(overrides: Partial<DataplaneInput> = {}): DataplaneInput {
  return {
    namespace: 'demo',
    namespaceLabels: {},
    podLabels: {},
    hostNetwork: false,
    injectingRevision: null,
    manualSidecar: false,
    ownProxy: false,
    cniExcluded: ['kube-system'],
    ...overrides,
  };
}

const AMBIENT_NS = { 'istio.io/dataplane-mode': 'ambient' };

describe('desiredDataplane: Istio enablement rules', () => {
  const cases: [string, Partial<DataplaneInput>, 'sidecar' | 'ambient' | 'none', string][] = [
    ['namespace istio.io/dataplane-mode=ambient enrols its pods', { namespaceLabels: AMBIENT_NS }, 'ambient', 'enablement selectors'],
    ['pod istio.io/dataplane-mode=ambient enrols it in any namespace (first enablement selector)', { podLabels: { 'istio.io/dataplane-mode': 'ambient' } }, 'ambient', 'enablement selectors'],
    ['pod istio.io/dataplane-mode=none opts out of an ambient namespace', { namespaceLabels: AMBIENT_NS, podLabels: { 'istio.io/dataplane-mode': 'none' } }, 'none', 'enablement selectors'],
    ['any other pod value (not "none") stays enrolled in an ambient namespace (NotIn [none])', { namespaceLabels: AMBIENT_NS, podLabels: { 'istio.io/dataplane-mode': 'sidecar' } }, 'ambient', 'enablement selectors'],
    ['namespace dataplane-mode other than ambient enrols nothing', { namespaceLabels: { 'istio.io/dataplane-mode': 'none' } }, 'none', 'enablement selectors'],
    ['no label anywhere: no data plane', {}, 'none', 'enablement selectors'],
    ['a sidecar webhook match wins over the namespace ambient label (the webhooks ignore dataplane-mode)', { namespaceLabels: AMBIENT_NS, injectingRevision: 'canary' }, 'sidecar', 'sidecar injection'],
    ['a sidecar webhook match wins over the pod ambient label', { podLabels: { 'istio.io/dataplane-mode': 'ambient' }, injectingRevision: 'default' }, 'sidecar', 'sidecar injection'],
    ['hostNetwork is never captured', { namespaceLabels: AMBIENT_NS, hostNetwork: true }, 'none', 'hostNetwork'],
    ['hostNetwork is never captured, even with the pod label', { podLabels: { 'istio.io/dataplane-mode': 'ambient' }, hostNetwork: true }, 'none', 'hostNetwork'],
    ['a template carrying sidecar.istio.io/status (kube-inject) is never captured', { namespaceLabels: AMBIENT_NS, manualSidecar: true }, 'sidecar', 'manual sidecar'],
    ['kube-system is in the CNI excludeNamespaces by default', { namespace: 'kube-system', namespaceLabels: AMBIENT_NS }, 'none', 'CNI excludeNamespaces'],
    ['a custom EXCLUDE_NAMESPACES list is honoured', { namespace: 'batch', namespaceLabels: AMBIENT_NS, cniExcluded: ['batch'] }, 'none', 'CNI excludeNamespaces'],
    ['kube-system is capturable when the CNI does not exclude it', { namespace: 'kube-system', namespaceLabels: AMBIENT_NS, cniExcluded: [] }, 'ambient', 'enablement selectors'],
    ['the ztunnel pods themselves are never captured', { namespace: 'istio-system', namespaceLabels: AMBIENT_NS, podLabels: { app: 'ztunnel' } }, 'none', 'ztunnel'],
    ['an app=ztunnel pod outside the system namespace is an ordinary pod', { namespaceLabels: AMBIENT_NS, podLabels: { app: 'ztunnel' } }, 'ambient', 'enablement selectors'],
    ['gateways and waypoints run their own proxy', { namespaceLabels: AMBIENT_NS, ownProxy: true }, 'none', 'own proxy'],
  ];
  for (const [name, overrides, want, decisive] of cases) {
    it(name, () => {
      const d = desiredDataplane(input(overrides));
      expect(d.dataplane).toBe(want);
      const decisiveSteps = d.steps.filter((s) => s.decisive);
      expect(decisiveSteps).toHaveLength(1);
      expect(decisiveSteps[0]!.check).toBe(decisive);
      expect(d.reason.startsWith(decisive)).toBe(true);
    });
  }

  it('keeps the injecting revision for a sidecar and none for ambient', () => {
    expect(desiredDataplane(input({ injectingRevision: 'canary' })).revision).toBe('canary');
    expect(desiredDataplane(input({ namespaceLabels: AMBIENT_NS })).revision).toBeNull();
  });
});

describe('desiredDataplane: waypoints (istio.io/use-waypoint)', () => {
  it('uses the namespace waypoint', () => {
    const d = desiredDataplane(input({ namespaceLabels: { ...AMBIENT_NS, 'istio.io/use-waypoint': 'wp' } }));
    expect(d.waypoint).toEqual({ namespace: 'demo', name: 'wp', from: 'namespace' });
  });
  it("a pod's own label wins over the namespace's", () => {
    const d = desiredDataplane(input({ namespaceLabels: { ...AMBIENT_NS, 'istio.io/use-waypoint': 'wp' }, podLabels: { 'istio.io/use-waypoint': 'mine' } }));
    expect(d.waypoint).toEqual({ namespace: 'demo', name: 'mine', from: 'pod' });
  });
  it('"none" on the pod opts out of the namespace waypoint', () => {
    const d = desiredDataplane(input({ namespaceLabels: { ...AMBIENT_NS, 'istio.io/use-waypoint': 'wp' }, podLabels: { 'istio.io/use-waypoint': 'none' } }));
    expect(d.waypoint).toBeNull();
  });
  it('istio.io/use-waypoint-namespace names a waypoint in another namespace', () => {
    const d = desiredDataplane(input({ namespaceLabels: { ...AMBIENT_NS, 'istio.io/use-waypoint': 'shared', 'istio.io/use-waypoint-namespace': 'mesh-infra' } }));
    expect(d.waypoint).toEqual({ namespace: 'mesh-infra', name: 'shared', from: 'namespace' });
  });
  it('a sidecar pod has no waypoint', () => {
    expect(desiredDataplane(input({ namespaceLabels: { 'istio.io/use-waypoint': 'wp' }, injectingRevision: 'default' })).waypoint).toBeNull();
  });
});

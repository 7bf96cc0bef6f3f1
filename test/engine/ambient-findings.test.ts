// Ambient in the audit: SidecarInAmbient and NotCaptured drift, NoZtunnel / NoIstioCNI,
// WaypointMissing, L7PolicyNeedsWaypoint; and that sidecar namespaces audit as before.
import { describe, expect, it } from 'vitest';
import { authorizationPolicyRecord, workloadRecord } from '../../src/cluster/records.js';
import { ambientComponents, captureBlocker } from '../../src/engine/ambient-components.js';
import { ztunnelGap } from '../../src/engine/authorization-policy.js';
import { auditPod } from '../../src/engine/pod-audit.js';
import { explainPod } from '../../src/engine/explanation.js';
import { auditNamespace } from '../../src/engine/namespace-audit.js';
import { ReportBuilder } from '../../src/engine/report.js';
import type { ClusterState, ConfigMapRecord, GatewayRecord, PodRecord, WorkloadRecord } from '../../src/engine/types.js';
import { codes, context, fixtureObjects, injectedPod, injectorConfigMap, ns, pod, webhookConfig } from './helpers.js';

function daemonSet(name: string, desired: number, ready: number, labels: Record<string, string> = {}, namespace = 'istio-system'): WorkloadRecord {
  return workloadRecord({
    kind: 'DaemonSet',
    metadata: { name, namespace, generation: 1 },
    spec: { template: { metadata: { labels } } },
    status: { observedGeneration: 1, desiredNumberScheduled: desired, numberReady: ready, currentNumberScheduled: desired, updatedNumberScheduled: desired, numberAvailable: ready },
  });
}

const ZTUNNEL = daemonSet('ztunnel', 3, 3, { app: 'ztunnel' });
const CNI = daemonSet('istio-cni-node', 3, 3, { 'k8s-app': 'istio-cni-node' });
const REDIRECTED = { 'ambient.istio.io/redirection': 'enabled' };
const AMBIENT = { 'istio.io/dataplane-mode': 'ambient' };

function world(extra: Partial<ClusterState> = {}) {
  return context({
    namespaces: [ns('demo', AMBIENT), ns('sidecars', { 'istio-injection': 'enabled' }), ns('plain'), ...(extra.namespaces ?? [])],
    webhookConfigurations: [webhookConfig('a')],
    configMaps: [injectorConfigMap(), ...(extra.configMaps ?? [])],
    workloads: extra.workloads ?? [ZTUNNEL, CNI],
    ...(extra.gateways ? { gateways: extra.gateways } : {}),
    ...(extra.services ? { services: extra.services } : {}),
    ...(extra.authorizationPolicies ? { authorizationPolicies: extra.authorizationPolicies } : {}),
  });
}

describe('ambient drift', () => {
  it('a captured pod in an ambient namespace has no drift', () => {
    const a = auditPod(world(), pod({ annotations: REDIRECTED }));
    expect(a.desired.dataplane).toBe('ambient');
    expect(a.actual.mode).toBe('ambient');
    expect(a.drift).toEqual([]);
  });

  it('SidecarInAmbient replaces UnexpectedSidecar where the namespace is ambient', () => {
    const a = auditPod(world(), injectedPod('default'));
    expect(a.drift).toEqual(['SidecarInAmbient']);
    // The same pod where nothing asks for ambient: UnexpectedSidecar, as before.
    const b = auditPod(world(), injectedPod('default', { namespace: 'plain' }));
    expect(b.drift).toEqual(['UnexpectedSidecar']);
    expect(b.desired.dataplane).toBe('none');
  });

  it('a sidecar namespace keeps sidecar drift, ambient label on the pod or not (the webhook wins)', () => {
    const missing = auditPod(world(), pod({ namespace: 'sidecars', labels: AMBIENT, annotations: REDIRECTED }));
    expect(missing.desired).toMatchObject({ inject: true, dataplane: 'sidecar' });
    expect(missing.drift).toEqual(['MissingSidecar']);
    const fine = auditPod(world(), injectedPod('default', { namespace: 'sidecars' }));
    expect(fine.drift).toEqual([]);
    expect(fine.desired.dataplane).toBe('sidecar');
  });

  it('NotCaptured: an ambient pod without ambient.istio.io/redirection=enabled, with the reason', () => {
    const a = auditPod(world(), pod());
    expect(a.drift).toEqual(['NotCaptured']);
    expect(a.notCaptured).toMatch(/istio-cni agent has not marked it captured/);
    const pending = auditPod(world(), pod({ annotations: { 'ambient.istio.io/redirection': 'pending' } }));
    expect(pending.drift).toEqual(['NotCaptured']);
    expect(pending.notCaptured).toMatch(/pending/);
  });

  it('NotCaptured names the missing or unready component', () => {
    expect(auditPod(world({ workloads: [CNI] }), pod()).notCaptured).toMatch(/no ztunnel DaemonSet/);
    expect(auditPod(world({ workloads: [daemonSet('ztunnel', 3, 2, { app: 'ztunnel' }), CNI] }), pod()).notCaptured).toMatch(/ztunnel istio-system\/ztunnel is not ready \(2\/3 pods ready\)/);
    expect(auditPod(world({ workloads: [ZTUNNEL] }), pod()).notCaptured).toMatch(/no istio-cni node agent/);
  });

  it('a pod opted out, on the host network, or a gateway: no ambient drift', () => {
    expect(auditPod(world(), pod({ labels: { 'istio.io/dataplane-mode': 'none' } })).drift).toEqual([]);
    const host = auditPod(world(), pod({ hostNetwork: true }));
    expect(host.drift).toEqual([]);
    expect(codes(host.findings)).toEqual(['HostNetwork']);
    const waypoint = pod({ labels: { 'gateway.istio.io/managed': 'istio.io-mesh-controller' }, containers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.0', proxyRole: 'waypoint' }] });
    expect(auditPod(world(), waypoint).drift).toEqual([]);
  });

  it('proxy resource annotations are no finding on a pod that belongs in ambient and runs no sidecar', () => {
    const sized = { 'sidecar.istio.io/proxyCPU': '100m', 'sidecar.istio.io/proxyMemory': '128Mi' };
    // Captured, or not yet: no sidecar will be sized by them.
    expect(codes(auditPod(world(), pod({ annotations: { ...REDIRECTED, ...sized } })).findings)).toEqual([]);
    expect(codes(auditPod(world(), pod({ annotations: sized })).findings)).toEqual([]);
    // Still running its sidecar (SidecarInAmbient): it is sized by them until restarted.
    const stale = auditPod(world(), injectedPod('default', { annotations: sized }));
    expect(stale.drift).toEqual(['SidecarInAmbient']);
    expect(codes(stale.findings)).toEqual(['ProxyCPUWithoutLimit', 'ProxyMemoryWithoutLimit']);
    // Where sidecars are injected, as before.
    expect(codes(auditPod(world(), pod({ namespace: 'sidecars', annotations: sized })).findings)).toEqual(['ProxyCPUWithoutLimit', 'ProxyMemoryWithoutLimit']);
  });

  it('a pod ambient by its own label in an unlabelled namespace', () => {
    expect(auditPod(world(), pod({ namespace: 'plain', labels: AMBIENT })).drift).toEqual(['NotCaptured']);
    expect(auditPod(world(), pod({ namespace: 'plain', labels: AMBIENT, annotations: REDIRECTED })).drift).toEqual([]);
  });
});

describe('ambient node components', () => {
  it('finds ztunnel and istio-cni by name or label, prefers istio-system', () => {
    const c = ambientComponents([daemonSet('zt', 1, 1, { app: 'ztunnel' }, 'other'), daemonSet('ztunnel', 2, 2, { app: 'ztunnel' }), daemonSet('cni', 2, 1, { 'k8s-app': 'istio-cni-node' }, 'kube-system')], []);
    expect(c.ztunnel?.object).toBe('istio-system/ztunnel');
    expect(c.cni).toMatchObject({ object: 'kube-system/cni', healthy: false, summary: '1/2 pods ready' });
    expect(captureBlocker(c)).toMatch(/istio-cni kube-system\/cni is not ready/);
  });

  it('a DaemonSet scheduled on no node is not ready', () => {
    expect(ambientComponents([daemonSet('ztunnel', 0, 0)], []).ztunnel).toMatchObject({ healthy: false, summary: 'scheduled on no node' });
  });

  it('istio-cni-config: AMBIENT_ENABLED=false blocks capture; EXCLUDE_NAMESPACES replaces kube-system', () => {
    const cm = (data: Record<string, string>): ConfigMapRecord => ({ namespace: 'istio-system', name: 'istio-cni-config', labels: {}, data, lastChange: null });
    const off = ambientComponents([ZTUNNEL, CNI], [cm({ AMBIENT_ENABLED: 'false' })]);
    expect(captureBlocker(off)).toMatch(/ambient disabled/);
    expect(captureBlocker(ambientComponents([ZTUNNEL, CNI], [cm({ AMBIENT_ENABLED: 'true' })]))).toBeNull();
    const ctx = world({ configMaps: [cm({ AMBIENT_ENABLED: 'true', EXCLUDE_NAMESPACES: 'demo' })] });
    expect(auditPod(ctx, pod()).desired.dataplane).toBe('none');
  });

  it('NoZtunnel and NoIstioCNI are reported only when something asks for ambient', () => {
    const report = (extra: Partial<ClusterState>, pods: PodRecord[]) => {
      const ctx = world(extra);
      const b = new ReportBuilder(ctx, { namespaces: [], source: { type: 'snapshot', partial: false, warnings: [] } });
      for (const p of pods) b.addPod(p);
      return codes(b.build().findings);
    };
    expect(report({ workloads: [] }, [pod()])).toEqual(['NoIstioCNI', 'NoZtunnel']);
    expect(report({ workloads: [daemonSet('ztunnel', 3, 1, { app: 'ztunnel' }), CNI] }, [pod()])).toEqual(['NoZtunnel']);
    expect(report({}, [pod()])).toEqual([]);
    // Sidecar-only cluster: nothing about ambient.
    const sidecarOnly = context({ namespaces: [ns('sidecars', { 'istio-injection': 'enabled' })], webhookConfigurations: [webhookConfig('a')], configMaps: [injectorConfigMap()] });
    const b = new ReportBuilder(sidecarOnly, { namespaces: ['sidecars'], source: { type: 'snapshot', partial: false, warnings: [] } });
    b.addPod(pod({ namespace: 'sidecars' }));
    expect(codes(b.build().findings)).toEqual([]);
  });
});

describe('WaypointMissing', () => {
  const waypoint = (name: string, namespace = 'demo', gatewayClassName = 'istio-waypoint', labels: Record<string, string> = {}): GatewayRecord => ({ namespace, name, gatewayClassName, labels });

  it('namespace label naming no Gateway', () => {
    const ctx = world({ namespaces: [ns('other', { ...AMBIENT, 'istio.io/use-waypoint': 'gone' })], gateways: [waypoint('wp')] });
    expect(codes(auditNamespace(ctx, 'other').findings)).toEqual(['WaypointMissing']);
  });

  it('a label naming an existing waypoint, or "none", is fine', () => {
    const ctx = world({ namespaces: [ns('ok', { 'istio.io/use-waypoint': 'wp' }), ns('off', { 'istio.io/use-waypoint': 'none' })], gateways: [waypoint('wp', 'ok')] });
    expect(auditNamespace(ctx, 'ok').findings).toEqual([]);
    expect(auditNamespace(ctx, 'off').findings).toEqual([]);
  });

  it('use-waypoint-namespace looks in the other namespace', () => {
    const labels = { 'istio.io/use-waypoint': 'wp', 'istio.io/use-waypoint-namespace': 'infra' };
    expect(auditNamespace(world({ namespaces: [ns('x', labels)], gateways: [waypoint('wp', 'infra')] }), 'x').findings).toEqual([]);
    expect(codes(auditNamespace(world({ namespaces: [ns('x', labels)], gateways: [waypoint('wp', 'x')] }), 'x').findings)).toEqual(['WaypointMissing']);
  });

  it('a Gateway that is not of class istio-waypoint is no waypoint', () => {
    const ctx = world({ namespaces: [ns('x', { 'istio.io/use-waypoint': 'ingress' })], gateways: [waypoint('ingress', 'x', 'istio')] });
    expect(auditNamespace(ctx, 'x').findings[0]?.message).toMatch(/not a waypoint/);
  });

  it('Services with use-waypoint naming a missing waypoint, on the namespace', () => {
    const ctx = world({ services: [{ namespace: 'demo', name: 'api', labels: { 'istio.io/use-waypoint': 'api-wp' } }, { namespace: 'demo', name: 'web', labels: {} }] });
    const f = auditNamespace(ctx, 'demo').findings;
    expect(codes(f)).toEqual(['WaypointMissing']);
    expect(f[0]!.object).toBe('service/demo/api');
  });

  it("a pod's own label needs a workload waypoint (istio.io/waypoint-for workload or all)", () => {
    const pl = { 'istio.io/use-waypoint': 'wp' };
    expect(codes(auditPod(world({ gateways: [waypoint('wp')] }), pod({ labels: pl, annotations: REDIRECTED })).findings)).toEqual(['WaypointMissing']);
    expect(auditPod(world({ gateways: [waypoint('wp', 'demo', 'istio-waypoint', { 'istio.io/waypoint-for': 'all' })] }), pod({ labels: pl, annotations: REDIRECTED })).findings).toEqual([]);
    expect(codes(auditPod(world(), pod({ labels: pl, annotations: REDIRECTED })).findings)).toEqual(['WaypointMissing']);
  });
});

describe('L7PolicyNeedsWaypoint', () => {
  const policies = fixtureObjects('ambient/authorization-policies.yaml');

  it('finds exactly the attributes ztunnel drops (Istio authorization.go)', () => {
    for (const raw of policies) {
      const want = String(raw.metadata.annotations['test.kubectl-inject/gap']);
      const gap = ztunnelGap(authorizationPolicyRecord(raw));
      const got = gap ? (gap.action ?? gap.attributes.join(',')) : '';
      expect({ name: raw.metadata.name, gap: got }).toEqual({ name: raw.metadata.name, gap: want });
    }
  });

  it('applies to the ambient pods the policy selects, with the effect of the action', () => {
    const ctx = world({ authorizationPolicies: policies.map(authorizationPolicyRecord) });
    const web = auditPod(ctx, pod({ labels: { app: 'web' }, annotations: REDIRECTED }));
    const objects = web.findings.filter((f) => f.code === 'L7PolicyNeedsWaypoint').map((f) => f.object).sort();
    // Selector policies for app=web plus the namespace-wide ones; never the L4-only or targetRefs ones.
    expect(objects).toEqual(
      ['audit-action', 'custom-action', 'hosts', 'methods-paths', 'not-http', 'remote-ip', 'request-principals', 'when-headers'].map((n) => `authorizationpolicy/demo/${n}`),
    );
    expect(web.findings.find((f) => f.object?.endsWith('/methods-paths'))!.message).toMatch(/omits the ALLOW rules/);
    expect(web.findings.find((f) => f.object?.endsWith('/not-http'))!.message).toMatch(/DENY rules without their HTTP parts/);
    const other = auditPod(ctx, pod({ labels: { app: 'db' }, annotations: REDIRECTED }));
    expect(other.findings.some((f) => f.object?.endsWith('/methods-paths'))).toBe(false);
  });

  it('only for pods going to ambient; a root-namespace policy applies everywhere', () => {
    const l7 = authorizationPolicyRecord(policies.find((p) => p.metadata.name === 'methods-paths')!);
    const root = { ...l7, namespace: 'istio-system', name: 'mesh-l7', selector: null };
    const ctx = world({ authorizationPolicies: [l7, root] });
    expect(auditPod(ctx, injectedPod('default', { namespace: 'sidecars', labels: { app: 'web' } })).findings).toEqual([]);
    const plain = auditPod(ctx, pod({ namespace: 'plain', labels: { app: 'web', ...AMBIENT }, annotations: REDIRECTED }));
    expect(plain.findings.map((f) => f.object)).toEqual(['authorizationpolicy/istio-system/mesh-l7']);
    // A pod still carrying its sidecar in an ambient namespace is going to ambient: it is reported.
    expect(codes(auditPod(ctx, injectedPod('default', { labels: { app: 'web' } })).findings)).toEqual(['L7PolicyNeedsWaypoint', 'L7PolicyNeedsWaypoint']);
  });

  it('with a waypoint, says to move the policy to targetRefs on it', () => {
    const l7 = authorizationPolicyRecord(policies.find((p) => p.metadata.name === 'methods-paths')!);
    const ctx = world({ namespaces: [ns('wp', { ...AMBIENT, 'istio.io/use-waypoint': 'waypoint' })], gateways: [{ namespace: 'wp', name: 'waypoint', gatewayClassName: 'istio-waypoint', labels: {} }], authorizationPolicies: [{ ...l7, namespace: 'wp' }] });
    const f = auditPod(ctx, pod({ namespace: 'wp', labels: { app: 'web' }, annotations: REDIRECTED })).findings;
    expect(f[0]!.message).toMatch(/targetRefs: \[\{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint\}\]/);
  });
});

describe('explain: the ambient steps', () => {
  it('lists the checks and the node components', () => {
    const e = explainPod(world(), pod());
    expect(e.dataplane).toMatchObject({ desired: 'ambient', relevant: true, ztunnel: { object: 'istio-system/ztunnel', healthy: true } });
    expect(e.dataplane.steps.map((s) => s.check)).toEqual(['sidecar injection', 'hostNetwork', 'enablement selectors']);
    expect(e.drift).toEqual(['NotCaptured']);
    expect(e.dataplane.notCaptured).toBeDefined();
    // NotCaptured alone: no restart to suggest.
    expect(e.remedies.some((r) => r.startsWith('kubectl rollout restart'))).toBe(false);
  });

  it('not relevant for a sidecar namespace without ambient labels', () => {
    expect(explainPod(world(), injectedPod('default', { namespace: 'sidecars' })).dataplane.relevant).toBe(false);
  });
});

// Findings about ambient that a restart does not fix: the node components missing or not ready
// (NoZtunnel, NoIstioCNI), a use-waypoint label naming no waypoint (WaypointMissing), and
// AuthorizationPolicies that sidecars enforce and ztunnel cannot (L7PolicyNeedsWaypoint). Also why an
// ambient pod is not captured (the NotCaptured drift).
import { captureBlocker, type AmbientComponents } from './ambient-components.js';
import { policyApplies, ztunnelGap, type ZtunnelGap } from './authorization-policy.js';
import { DATAPLANE_MODE, type DesiredDataplane } from './dataplane.js';
import type { ActualState } from './sidecar-detection.js';
import type { AuthorizationPolicyRecord, Finding, Labels, NamespaceRecord, ServiceRecord } from './types.js';
import { waypointRef, WaypointIndex, USE_WAYPOINT, type WaypointRef } from './waypoints.js';

export interface AmbientContext {
  components: AmbientComponents;
  waypoints: WaypointIndex;
  /** Services by namespace (only those with a use-waypoint label matter). */
  servicesByNamespace: Map<string, ServiceRecord[]>;
  /** The AuthorizationPolicies with something ztunnel cannot enforce. */
  gaps: { policy: AuthorizationPolicyRecord; gap: ZtunnelGap }[];
}

export function buildAmbientContext(components: AmbientComponents, services: ServiceRecord[], gateways: ConstructorParameters<typeof WaypointIndex>[0], policies: AuthorizationPolicyRecord[]): AmbientContext {
  const servicesByNamespace = new Map<string, ServiceRecord[]>();
  for (const s of services) {
    if (s.labels[USE_WAYPOINT] === undefined) continue;
    const list = servicesByNamespace.get(s.namespace) ?? [];
    list.push(s);
    servicesByNamespace.set(s.namespace, list);
  }
  const gaps: AmbientContext['gaps'] = [];
  for (const policy of policies) {
    const gap = ztunnelGap(policy);
    if (gap) gaps.push({ policy, gap });
  }
  return { components, waypoints: new WaypointIndex(gateways), servicesByNamespace, gaps };
}

/** Whether a namespace asks for ambient (istio.io/dataplane-mode=ambient). */
export function namespaceWantsAmbient(ns: Pick<NamespaceRecord, 'labels'>): boolean {
  return ns.labels[DATAPLANE_MODE] === 'ambient';
}

/** NoZtunnel / NoIstioCNI, for a cluster where some namespace or pod asks for ambient. */
export function componentFindings(ambient: AmbientContext, what: string): Finding[] {
  const c = ambient.components;
  const out: Finding[] = [];
  if (!c.ztunnel || !c.ztunnel.healthy) {
    out.push({
      code: 'NoZtunnel',
      severity: 'error',
      ...(c.ztunnel ? { object: `daemonset/${c.ztunnel.object}` } : {}),
      message: c.ztunnel
        ? `${what} but ztunnel ${c.ztunnel.object} is not ready (${c.ztunnel.summary}): pods on nodes without a ready ztunnel are not captured`
        : `${what} but there is no ztunnel DaemonSet: no pod is captured (install it: istioctl install --set profile=ambient, or the ztunnel chart)`,
    });
  }
  const cni = c.cni;
  if (!cni || !cni.healthy || c.cniSettings.ambientEnabled === false) {
    out.push({
      code: 'NoIstioCNI',
      severity: 'error',
      ...(cni ? { object: `daemonset/${cni.object}` } : {}),
      message: !cni
        ? `${what} but there is no istio-cni node agent (DaemonSet istio-cni-node): no pod traffic is redirected to ztunnel`
        : !cni.healthy
          ? `${what} but istio-cni ${cni.object} is not ready (${cni.summary}): pods on its nodes are not captured`
          : `${what} but istio-cni runs with ambient disabled (${c.cniSettings.configMap}: AMBIENT_ENABLED is not "true"; set ambient.enabled=true on the istio-cni chart)`,
    });
  }
  return out;
}

function waypointFinding(ambient: AmbientContext, ref: WaypointRef, who: string, object?: string): Finding | null {
  const problem = ambient.waypoints.problem(ref);
  if (!problem) return null;
  return {
    code: 'WaypointMissing',
    severity: 'error',
    ...(object ? { object } : {}),
    message: `${who} label ${USE_WAYPOINT}=${ref.name} ${problem}: traffic that should go through it has no waypoint (create it: istioctl waypoint apply -n ${ref.namespace} --name ${ref.name})`,
  };
}

/** WaypointMissing for the namespace's own label and its Services' labels. */
export function namespaceWaypointFindings(ambient: AmbientContext, ns: NamespaceRecord): Finding[] {
  const out: Finding[] = [];
  const own = waypointRef(ns.labels, ns.name, 'namespace');
  const f = own && waypointFinding(ambient, own, 'namespace');
  if (f) out.push(f);
  for (const s of ambient.servicesByNamespace.get(ns.name) ?? []) {
    const ref = waypointRef(s.labels, s.namespace, 'service');
    const sf = ref && waypointFinding(ambient, ref, `service ${s.name}`, `service/${s.namespace}/${s.name}`);
    if (sf) out.push(sf);
  }
  return out;
}

/** Pod findings of an ambient (or ambient-bound) pod: its own use-waypoint label, and policies ztunnel cannot enforce. */
export function podAmbientFindings(ambient: AmbientContext, namespace: string, labels: Labels, desired: DesiredDataplane): Finding[] {
  const out: Finding[] = [];
  if (desired.waypoint?.from === 'pod') {
    const f = waypointFinding(ambient, desired.waypoint, 'pod');
    if (f) out.push(f);
  }
  if (desired.dataplane !== 'ambient') return out;
  for (const { policy, gap } of ambient.gaps) {
    if (!policyApplies(policy, namespace, labels)) continue;
    const what = gap.action ? `action ${gap.action}` : `${gap.attributes.join(', ')}`;
    const wp = desired.waypoint && !ambient.waypoints.problem(desired.waypoint) ? desired.waypoint : null;
    const fix = wp
      ? `the pod's waypoint ${wp.namespace}/${wp.name} enforces only policies that target it: move the policy to targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: ${wp.name}}]`
      : `deploy a waypoint (istioctl waypoint apply -n ${namespace} --enroll-namespace) and move the policy to targetRefs on it`;
    out.push({
      code: 'L7PolicyNeedsWaypoint',
      severity: 'error',
      object: `authorizationpolicy/${policy.namespace}/${policy.name}`,
      message: `AuthorizationPolicy ${policy.namespace}/${policy.name} (${policy.selector === null ? 'no selector' : 'selector'}) uses ${what}, which ztunnel does not enforce: ${gap.effect}; ${fix}`,
    });
  }
  return out;
}

/** Why an ambient pod is not (fully) captured: what the NotCaptured drift means for it. */
export function notCapturedReason(ambient: AmbientContext, actual: ActualState): string {
  const blocker = captureBlocker(ambient.components);
  if (actual.viaInjector) return 'it carries sidecar.istio.io/status from an earlier injection, so the CNI agent skips it: a restart re-creates it without';
  if (blocker) return `${blocker}: a pod on a node without a ready one is not captured`;
  if (actual.ambientPending) return 'capture is pending (ambient.istio.io/redirection=pending): redirection is set up but ztunnel has not taken the pod yet';
  return 'the istio-cni agent has not marked it captured (no ambient.istio.io/redirection=enabled); it captures running pods without a restart, so look at the istio-cni-node and ztunnel pods on its node';
}

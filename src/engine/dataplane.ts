// The data plane a pod should have: a sidecar (of a revision), ambient (captured by ztunnel), or none.
// Istio's order: the sidecar webhooks run first and ignore istio.io/dataplane-mode, so a pod they inject
// gets sidecar.istio.io/status and the CNI node agent never captures it (cni/pkg/util/
// enablement_selector.go podHasSidecar); hostNetwork pods have no network namespace of their own to
// redirect; the CNI's excludeNamespaces (chart default kube-system) and the ztunnel pods themselves are
// skipped; then the CNI's enablement selectors (istio-cni values ambient.enablementSelectors): pod label
// istio.io/dataplane-mode=ambient, or namespace label istio.io/dataplane-mode=ambient unless the pod
// says istio.io/dataplane-mode=none.
import type { Labels } from './types.js';
import { podWaypoint, type WaypointRef } from './waypoints.js';

export const DATAPLANE_MODE = 'istio.io/dataplane-mode';

export type Dataplane = 'sidecar' | 'ambient' | 'none';

export interface DataplaneStep {
  check: string;
  result: string;
  decisive: boolean;
}

export interface DesiredDataplane {
  dataplane: Dataplane;
  /** The injecting revision, for `sidecar` (null for a manual sidecar). */
  revision: string | null;
  reason: string;
  /** The waypoint an ambient pod uses (its own label, else its namespace's), or null. */
  waypoint: WaypointRef | null;
  /** The checks, in the order Istio applies them; the decisive one marked. */
  steps: DataplaneStep[];
}

export interface DataplaneInput {
  namespace: string;
  namespaceLabels: Labels;
  podLabels: Labels;
  hostNetwork: boolean;
  /** The sidecar webhook decision: a revision injects it (null: none does). */
  injectingRevision: string | null;
  /** The pod (template) carries sidecar.istio.io/status itself and no webhook injects it (istioctl kube-inject). */
  manualSidecar: boolean;
  /** A gateway or waypoint: its proxy is the workload itself. */
  ownProxy: boolean;
  /** Namespaces the CNI agent never redirects (EXCLUDE_NAMESPACES). */
  cniExcluded: readonly string[];
  /** The istio system namespace, where app=ztunnel pods are the node proxies. */
  systemNamespace?: string;
}

/** Pods that agree on everything below share one result (a cluster has a handful of shapes). */
export function dataplaneKey(i: DataplaneInput): string {
  return [
    i.namespace,
    i.injectingRevision ?? '\u0000',
    i.podLabels[DATAPLANE_MODE] ?? '\u0000',
    i.podLabels['istio.io/use-waypoint'] ?? '\u0000',
    i.podLabels['istio.io/use-waypoint-namespace'] ?? '\u0000',
    i.podLabels['app'] === 'ztunnel' ? 'z' : '',
    i.hostNetwork ? 'h' : '',
    i.manualSidecar ? 'm' : '',
    i.ownProxy ? 'o' : '',
  ].join('\u0001');
}

export function desiredDataplane(i: DataplaneInput): DesiredDataplane {
  const steps: DataplaneStep[] = [];
  const done = (dataplane: Dataplane, check: string, result: string, revision: string | null = null, waypoint: WaypointRef | null = null): DesiredDataplane => {
    steps.push({ check, result, decisive: true });
    return { dataplane, revision, reason: `${check}: ${result}`, waypoint, steps };
  };
  const pass = (check: string, result: string) => steps.push({ check, result, decisive: false });

  if (i.injectingRevision !== null) {
    return done('sidecar', 'sidecar injection', `revision ${i.injectingRevision} injects it (the webhooks ignore ${DATAPLANE_MODE}); a pod with sidecar.istio.io/status is never captured by ambient`, i.injectingRevision);
  }
  pass('sidecar injection', 'no webhook injects it');
  if (i.manualSidecar) return done('sidecar', 'manual sidecar', 'the pod template itself carries sidecar.istio.io/status (istioctl kube-inject): ambient never captures it');
  if (i.ownProxy) return done('none', 'own proxy', 'a gateway or waypoint runs its own proxy; it is not captured');
  if (i.hostNetwork) return done('none', 'hostNetwork', 'the pod uses the host network: ambient never captures it');
  pass('hostNetwork', 'false');
  if (i.cniExcluded.includes(i.namespace)) return done('none', 'CNI excludeNamespaces', `istio-cni never redirects pods in ${i.namespace} (excluded: ${i.cniExcluded.join(', ')})`);
  if (i.namespace === (i.systemNamespace ?? 'istio-system') && i.podLabels['app'] === 'ztunnel') return done('none', 'ztunnel', 'the node proxy itself is never captured');

  const pod = i.podLabels[DATAPLANE_MODE];
  const ns = i.namespaceLabels[DATAPLANE_MODE];
  const waypoint = () => podWaypoint(i.podLabels, i.namespaceLabels, i.namespace);
  if (pod === 'ambient') return done('ambient', 'enablement selectors', `pod label ${DATAPLANE_MODE}=ambient`, null, waypoint());
  if (ns === 'ambient') {
    if (pod === 'none') return done('none', 'enablement selectors', `namespace label ${DATAPLANE_MODE}=ambient, but the pod opts out with ${DATAPLANE_MODE}=none`);
    return done('ambient', 'enablement selectors', `namespace label ${DATAPLANE_MODE}=ambient${pod !== undefined ? ` (pod label ${DATAPLANE_MODE}=${pod} is not "none")` : ''}`, null, waypoint());
  }
  return done('none', 'enablement selectors', ns !== undefined ? `namespace label ${DATAPLANE_MODE}=${ns} is not "ambient" and the pod has no ${DATAPLANE_MODE}=ambient` : `neither the namespace nor the pod has ${DATAPLANE_MODE}=ambient`);
}

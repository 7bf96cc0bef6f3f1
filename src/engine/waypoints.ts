// Waypoints: Gateways of gatewayClassName istio-waypoint. Namespaces, Services and pods opt in with the
// label istio.io/use-waypoint=NAME (istio.io/use-waypoint-namespace for one in another namespace;
// the value "none" opts out); a pod's own label wins over its namespace's (Istio: pilot/pkg/
// serviceregistry/kube/controller/ambient/waypoints.go).
import type { GatewayRecord, Labels } from './types.js';

export const USE_WAYPOINT = 'istio.io/use-waypoint';
export const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
export const WAYPOINT_CLASS = 'istio-waypoint';
export const WAYPOINT_FOR = 'istio.io/waypoint-for';

export interface WaypointRef {
  namespace: string;
  name: string;
  /** Where the label was read: pod, service or namespace. */
  from: 'pod' | 'service' | 'namespace';
}

/** The waypoint a set of labels names, or null (no label, or "none"). */
export function waypointRef(labels: Labels, ownNamespace: string, from: WaypointRef['from']): WaypointRef | null {
  const name = labels[USE_WAYPOINT];
  if (name === undefined || name === '' || name === 'none') return null;
  return { namespace: labels[USE_WAYPOINT_NAMESPACE] || ownNamespace, name, from };
}

/** The waypoint a pod uses: its own label (including an explicit "none"), else its namespace's. */
export function podWaypoint(podLabels: Labels, namespaceLabels: Labels, namespace: string): WaypointRef | null {
  if (podLabels[USE_WAYPOINT] !== undefined) return waypointRef(podLabels, namespace, 'pod');
  return waypointRef(namespaceLabels, namespace, 'namespace');
}

export class WaypointIndex {
  private readonly gateways = new Map<string, GatewayRecord>();

  constructor(gateways: GatewayRecord[]) {
    for (const g of gateways) this.gateways.set(`${g.namespace}/${g.name}`, g);
  }

  get size(): number {
    return this.gateways.size;
  }

  /** Why the reference does not resolve to a waypoint, or null when it does. */
  problem(ref: WaypointRef): string | null {
    const g = this.gateways.get(`${ref.namespace}/${ref.name}`);
    if (!g) return `names waypoint ${ref.namespace}/${ref.name}, but there is no such Gateway`;
    if (g.gatewayClassName !== WAYPOINT_CLASS) return `names ${ref.namespace}/${ref.name}, a Gateway of class ${JSON.stringify(g.gatewayClassName)}, not a waypoint (${WAYPOINT_CLASS})`;
    // A pod's own label asks for a workload waypoint: istio.io/waypoint-for must be workload or all (default service).
    const trafficType = g.labels[WAYPOINT_FOR] ?? 'service';
    if (ref.from === 'pod' && trafficType !== 'workload' && trafficType !== 'all') {
      return `names waypoint ${ref.namespace}/${ref.name}, which serves ${trafficType} traffic only (${WAYPOINT_FOR}=${trafficType}); a pod's own label needs workload or all`;
    }
    return null;
  }

  /** The waypoints of a namespace. */
  inNamespace(namespace: string): GatewayRecord[] {
    return [...this.gateways.values()].filter((g) => g.namespace === namespace && g.gatewayClassName === WAYPOINT_CLASS);
  }
}

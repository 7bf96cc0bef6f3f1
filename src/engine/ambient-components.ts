// The ambient data plane's node components: the ztunnel DaemonSet (the node proxy) and the istio-cni
// node agent (DaemonSet istio-cni-node) that redirects pod traffic to it. Capture needs both, ready,
// and the CNI agent installed with ambient enabled (its ConfigMap istio-cni-config, AMBIENT_ENABLED).
import type { ConfigMapRecord, WorkloadRecord } from './types.js';

export interface ComponentStatus {
  /** namespace/name of the DaemonSet. */
  object: string;
  desired: number;
  ready: number;
  /** Pods on every node it is scheduled on are ready (and it is scheduled on at least one). */
  healthy: boolean;
  /** e.g. "3/3 pods ready", "0/3 pods ready", "scheduled on no node". */
  summary: string;
}

export interface CniSettings {
  /** The ConfigMap the settings come from, null when it is not in the state (chart defaults assumed). */
  configMap: string | null;
  /** AMBIENT_ENABLED (the istio-cni chart's ambient.enabled); null when unknown. */
  ambientEnabled: boolean | null;
  /** EXCLUDE_NAMESPACES: pods in these namespaces are never redirected (chart default: kube-system). */
  excludeNamespaces: string[];
}

export interface AmbientComponents {
  ztunnel: ComponentStatus | null;
  cni: ComponentStatus | null;
  cniSettings: CniSettings;
}

const ISTIO_SYSTEM = 'istio-system';

function isZtunnel(w: WorkloadRecord): boolean {
  return w.name === 'ztunnel' || w.template.labels['app'] === 'ztunnel';
}

function isCni(w: WorkloadRecord): boolean {
  return w.name === 'istio-cni-node' || w.template.labels['k8s-app'] === 'istio-cni-node';
}

function status(w: WorkloadRecord): ComponentStatus {
  const { desired, ready } = w.status;
  const isReady = desired > 0 && ready >= desired;
  return {
    object: `${w.namespace}/${w.name}`,
    desired,
    ready,
    healthy: isReady,
    summary: desired === 0 ? 'scheduled on no node' : `${ready}/${desired} pods ready`,
  };
}

/** The DaemonSet that matches, preferring istio-system, then the readiest. */
function pick(workloads: WorkloadRecord[], match: (w: WorkloadRecord) => boolean): ComponentStatus | null {
  const found = workloads.filter((w) => w.kind === 'DaemonSet' && match(w));
  if (found.length === 0) return null;
  found.sort((a, b) => Number(b.namespace === ISTIO_SYSTEM) - Number(a.namespace === ISTIO_SYSTEM) || b.status.ready - a.status.ready);
  return status(found[0]!);
}

/** The chart default of istio-cni `excludeNamespaces`. */
export const DEFAULT_CNI_EXCLUDED = ['kube-system'];

export function cniSettings(configMaps: ConfigMapRecord[], cni: ComponentStatus | null): CniSettings {
  const cniNamespace = cni ? cni.object.split('/')[0] : ISTIO_SYSTEM;
  const cm = configMaps.find((c) => c.name === 'istio-cni-config' && c.namespace === cniNamespace) ?? configMaps.find((c) => c.name === 'istio-cni-config');
  if (!cm) return { configMap: null, ambientEnabled: null, excludeNamespaces: DEFAULT_CNI_EXCLUDED };
  const enabled = cm.data['AMBIENT_ENABLED'];
  const exclude = cm.data['EXCLUDE_NAMESPACES'];
  return {
    configMap: `${cm.namespace}/${cm.name}`,
    ambientEnabled: enabled === undefined ? null : enabled.trim().toLowerCase() === 'true',
    excludeNamespaces: exclude === undefined ? DEFAULT_CNI_EXCLUDED : exclude.split(',').map((s) => s.trim()).filter(Boolean),
  };
}

export function ambientComponents(workloads: WorkloadRecord[], configMaps: ConfigMapRecord[]): AmbientComponents {
  const ztunnel = pick(workloads, isZtunnel);
  const cni = pick(workloads, isCni);
  return { ztunnel, cni, cniSettings: cniSettings(configMaps, cni) };
}

/** Why capture cannot happen now, or null when ztunnel and the CNI agent are there, ready and ambient-enabled. */
export function captureBlocker(c: AmbientComponents): string | null {
  if (!c.ztunnel) return 'no ztunnel DaemonSet in the cluster';
  if (!c.ztunnel.healthy) return `ztunnel ${c.ztunnel.object} is not ready (${c.ztunnel.summary})`;
  if (!c.cni) return 'no istio-cni node agent (DaemonSet istio-cni-node) in the cluster';
  if (!c.cni.healthy) return `istio-cni ${c.cni.object} is not ready (${c.cni.summary})`;
  if (c.cniSettings.ambientEnabled === false) return `istio-cni runs with ambient disabled (${c.cniSettings.configMap}: AMBIENT_ENABLED is not "true")`;
  return null;
}

/** Names of the DaemonSets the engine looks for (the live and snapshot sources keep them whatever the scope). */
export function isAmbientComponent(w: WorkloadRecord): boolean {
  return w.kind === 'DaemonSet' && (isZtunnel(w) || isCni(w));
}

// The istio-cni node agent in ambient mode, simulated: while a ztunnel DaemonSet and the istio-cni-node
// DaemonSet are present and ready, running pods its enablement selectors match are marked
// `ambient.istio.io/redirection: enabled` (as the agent does once it has redirected them to ztunnel);
// a pod that stops matching (namespace or pod label removed, or a sidecar) loses the annotation.
// Written from Istio's rules (cni/pkg/util/enablement_selector.go, the istio-cni chart's default
// ambient.enablementSelectors and excludeNamespaces), not with the engine, so end-to-end tests check
// the engine against an independent model.
import type { ObjectStore } from '../store.js';
import type { RawObject } from '../types.js';

export const REDIRECTION = 'ambient.istio.io/redirection';
const MODE = 'istio.io/dataplane-mode';

function daemonSetReady(ds: RawObject | undefined): boolean {
  const desired = Number(ds?.status?.desiredNumberScheduled ?? 0);
  return desired > 0 && Number(ds?.status?.numberReady ?? 0) >= desired;
}

/** Whether the simulated agent captures `pod` in a namespace with `nsLabels`. */
export function cniMatches(pod: RawObject, nsLabels: Record<string, string>, excluded: readonly string[]): boolean {
  const labels: Record<string, string> = pod.metadata?.labels ?? {};
  const annotations: Record<string, string> = pod.metadata?.annotations ?? {};
  const namespace = String(pod.metadata?.namespace ?? '');
  if (annotations['sidecar.istio.io/status'] !== undefined) return false;
  if (pod.spec?.hostNetwork === true) return false;
  if (excluded.includes(namespace)) return false;
  if (namespace === 'istio-system' && labels.app === 'ztunnel') return false;
  if (labels[MODE] === 'ambient') return true;
  return nsLabels[MODE] === 'ambient' && labels[MODE] !== 'none';
}

export class AmbientCniAgent {
  private dirty = true;

  constructor(private readonly store: ObjectStore) {}

  /** A pod, namespace, DaemonSet or ConfigMap changed. */
  invalidate(): void {
    this.dirty = true;
  }

  /** One pass over the pods; `save` stores a changed copy. */
  reconcile(save: (object: RawObject) => void): void {
    if (!this.dirty) return;
    this.dirty = false;
    const daemonSets = this.store.list('DaemonSet');
    const ztunnel = daemonSets.find((d) => d.metadata?.name === 'ztunnel');
    const cni = daemonSets.find((d) => d.metadata?.name === 'istio-cni-node');
    const ready = daemonSetReady(ztunnel) && daemonSetReady(cni);
    const config = this.store.list('ConfigMap', String(cni?.metadata?.namespace ?? 'istio-system')).find((c) => c.metadata?.name === 'istio-cni-config');
    const ambientEnabled = config?.data?.AMBIENT_ENABLED === undefined || String(config.data.AMBIENT_ENABLED) === 'true';
    const excluded = typeof config?.data?.EXCLUDE_NAMESPACES === 'string' ? String(config.data.EXCLUDE_NAMESPACES).split(',').filter(Boolean) : ['kube-system'];
    const nsLabels = new Map<string, Record<string, string>>();
    for (const ns of this.store.list('Namespace')) nsLabels.set(String(ns.metadata?.name), ns.metadata?.labels ?? {});
    for (const pod of this.store.list('Pod')) {
      const has = pod.metadata?.annotations?.[REDIRECTION] === 'enabled';
      const matches = cniMatches(pod, nsLabels.get(String(pod.metadata?.namespace)) ?? {}, excluded);
      const running = pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp;
      if (!has && matches && running && ready && ambientEnabled) {
        const next = structuredClone(pod);
        next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [REDIRECTION]: 'enabled' };
        save(next);
      } else if (has && !matches) {
        const next = structuredClone(pod);
        delete next.metadata.annotations[REDIRECTION];
        save(next);
      }
    }
  }
}

// A scope read as status and rollout read it: the base state (namespaces, webhooks, ConfigMaps,
// workloads) and the pods, both started at once. Every pod's audit needs the base state, and under
// real API latency the base state is several round trips (18,000 Deployments are 9 pages): the pod list
// does not wait for it. Pods that arrive before it is complete wait as records, at most EARLY_PODS of
// them (then the pod list pauses, one page in flight ahead, until the audit takes them). With
// streamWorkloads (status), the base state is complete once the cluster's configuration, the DaemonSets
// and the Istio namespaces' workloads are in: the other workloads go on arriving through a WorkloadFeed,
// and each pod waits only for its namespace's.
import { BufferedPages } from './buffered-pages.js';
import type { BaseState, ClusterSource, Scope } from './source.js';
import type { PodRecord } from '../engine/types.js';
import type { WorkloadFeed } from './workload-feed.js';

/**
 * Pod records held while the base state is still being read: 8 pages of 500. Under 50 ms of latency a
 * 100,000-pod cluster's whole base state (as rollout reads it) takes about as long as 8 to 15 pod pages,
 * status's streamed one 2 or 3; more early pods than this bought no time and raised peak RSS (they
 * outlive young-generation collections).
 */
export const EARLY_PODS = 4_000;

export interface ScopeRead {
  base: BaseState;
  /** The pods in scope, page by page (those that arrived early first); read it once. */
  pods: AsyncIterable<PodRecord[]>;
  /** With `streamWorkloads`, from a source that streams them: the workloads not yet in `base`. */
  workloads?: WorkloadFeed;
}

export interface ScopeReadOptions {
  onProgress?: (count: number) => void;
  /** Pod records held while the base state is read (default EARLY_PODS). */
  earlyPods?: number;
  /** Resolve once the cluster's configuration is in, workloads still arriving (ClusterSource.loadBaseStreaming). */
  streamWorkloads?: boolean;
}

/**
 * Starts loadBase and the pod list together. A failure of loadBase wins (its error, the pod list
 * stopped); a failure of the pod list reaches the reader of `pods` after the pods read before it.
 */
export async function readScope(source: ClusterSource, scope: Scope, options: ScopeReadOptions = {}): Promise<ScopeRead> {
  // The pod list's first request is sent first (each request has a new connection here, so it usually
  // reaches the server first, not always): an API server answers requests that arrive together in turn,
  // and the pods are the long pole (under 50 ms of latency, 100,000 pods: 0.1 s sooner). A
  // forbidden pod list falls back on the namespaces loadBase reads, which it asks for only once its
  // first response has come, loadBase started by then.
  const pods = new BufferedPages(source.pods(scope, options.onProgress), options.earlyPods ?? EARLY_PODS);
  const base: Promise<Omit<ScopeRead, 'pods'>> =
    options.streamWorkloads && source.loadBaseStreaming ? source.loadBaseStreaming(scope) : source.loadBase(scope).then((b) => ({ base: b }));
  try {
    return { ...(await base), pods };
  } catch (err) {
    pods.close();
    throw err;
  }
}

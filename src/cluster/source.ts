// Where cluster state comes from: a snapshot (files, stdin, the bundled demo) or a live API server.
// Commands only see this interface.
import type { ClusterState, PodRecord, WorkloadKind, WorkloadRecord } from '../engine/types.js';
import type { WorkloadFeed } from './workload-feed.js';

export interface Scope {
  /** null = every namespace. */
  namespace: string | null;
  /** kubectl -l syntax, or null. */
  labelSelector: string | null;
}

export interface SourceInfo {
  type: 'snapshot' | 'demo' | 'live';
  location?: string;
}

/** Cluster state without pods: read once per command. */
export interface BaseState extends Omit<ClusterState, 'pods'> {
  partial: boolean;
  warnings: string[];
}

export interface ClusterSource {
  info(): SourceInfo;
  /**
   * Namespaces, webhooks, Istio ConfigMaps, ProxyConfigs and workloads in scope. With `ownersOf`, only
   * that pod's owner chain is read instead of every workload (explain of one pod).
   */
  loadBase(scope: Scope, options?: { ownersOf?: PodRecord }): Promise<BaseState>;
  /**
   * A source whose workload lists take time (a live API server): loadBase resolved before every
   * workload is in, the rest arriving through `workloads` (workload-feed.ts).
   */
  loadBaseStreaming?(scope: Scope): Promise<{ base: BaseState; workloads: WorkloadFeed }>;
  /** Pods in scope, page by page. */
  pods(scope: Scope, onProgress?: (count: number) => void): AsyncIterable<PodRecord[]>;
  /** RBAC gaps met while listing pods, known once the listing is done (a partial result). */
  readonly podWarnings?: readonly string[];
  getPod(namespace: string, name: string): Promise<PodRecord | null>;
  getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<WorkloadRecord | null>;
  /** The namespace a command defaults to (the context's namespace, else "default"). */
  defaultNamespace(): string;
  close?(): Promise<void>;
}

/** Write access, for rollout. Only the live source has it. */
export interface ClusterWriter {
  /** Merge patch of metadata.labels; null removes a label. */
  patchNamespaceLabels(name: string, patch: Record<string, string | null>): Promise<void>;
  /** What `kubectl rollout restart` sends: the template annotation kubectl.kubernetes.io/restartedAt. */
  restartWorkload(kind: WorkloadKind, namespace: string, name: string, at: string): Promise<void>;
}

export function isWriter(source: ClusterSource): source is ClusterSource & ClusterWriter {
  return typeof (source as Partial<ClusterWriter>).patchNamespaceLabels === 'function';
}

/** A user-facing failure: printed as one line, exit 1. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

// Which workload owns a pod: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, StatefulSet,
// DaemonSet. When the ReplicaSet or Job is not in the state, the name is derived the way the
// controllers build it (ReplicaSet = deployment-<pod-template-hash>, Job = cronjob-<scheduled time>).
import type { OwnerRef, PodRecord, WorkloadKind, WorkloadRecord } from './types.js';

export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
}

export class WorkloadIndex {
  private readonly byKey = new Map<string, WorkloadRecord>();

  constructor(workloads: readonly WorkloadRecord[]) {
    this.add(workloads);
  }

  /** More workloads (a live source's lists still arriving while pods are audited). */
  add(workloads: readonly WorkloadRecord[]): void {
    for (const w of workloads) this.byKey.set(key(w.kind, w.namespace, w.name), w);
  }

  get(kind: string, namespace: string, name: string): WorkloadRecord | undefined {
    return this.byKey.get(key(kind, namespace, name));
  }

  all(): IterableIterator<WorkloadRecord> {
    return this.byKey.values();
  }

  /** The top-level workload that owns the pod, or null for a bare pod. */
  ownerOf(pod: Pick<PodRecord, 'namespace' | 'owner' | 'labels'>): WorkloadRef | null {
    return this.locate(pod).workload;
  }

  /** The pod template the pod was created from: the ReplicaSet's/Job's own template when known. */
  templateOf(pod: Pick<PodRecord, 'namespace' | 'owner' | 'labels'>): PodRecord | null {
    return this.locate(pod).template;
  }

  /** ownerOf and templateOf together: the owner is looked up once for both. */
  locate(pod: Pick<PodRecord, 'namespace' | 'owner' | 'labels'>): PodLocation {
    const owner = pod.owner;
    if (!owner) return UNOWNED;
    const direct = this.get(owner.kind, pod.namespace, owner.name);
    const workload = resolve(owner, direct, pod.labels);
    if (direct) return { workload, template: direct.template };
    // The owner is not in the state (a ReplicaSet or Job is never listed): its owner's template.
    const top = workload && (workload.kind !== owner.kind || workload.name !== owner.name) ? this.get(workload.kind, pod.namespace, workload.name) : undefined;
    return { workload, template: top?.template ?? null };
  }
}

export interface PodLocation {
  workload: WorkloadRef | null;
  template: PodRecord | null;
}

const UNOWNED: PodLocation = Object.freeze({ workload: null, template: null });

/** The top-level workload of a pod's owner; `record`: the owner itself, when it is in the state. */
function resolve(owner: OwnerRef, record: WorkloadRecord | undefined, podLabels: Record<string, string>): WorkloadRef | null {
  switch (owner.kind) {
    case 'ReplicaSet': {
      if (record) return record.owner?.kind === 'Deployment' ? { kind: 'Deployment', name: record.owner.name } : { kind: 'ReplicaSet', name: record.name };
      const hash = podLabels['pod-template-hash'];
      if (hash && owner.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
      return { kind: 'ReplicaSet', name: owner.name };
    }
    case 'Job': {
      if (record) return record.owner?.kind === 'CronJob' ? { kind: 'CronJob', name: record.owner.name } : { kind: 'Job', name: record.name };
      return { kind: 'Job', name: owner.name };
    }
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'CronJob':
      return { kind: owner.kind, name: owner.name };
    default:
      return null;
  }
}

function key(kind: string, namespace: string, name: string): string {
  return `${kind}\u0000${namespace}\u0000${name}`;
}

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

  constructor(workloads: WorkloadRecord[]) {
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
    const owner = pod.owner;
    if (!owner) return null;
    return this.resolve(pod.namespace, owner, pod.labels);
  }

  private resolve(namespace: string, owner: OwnerRef, podLabels: Record<string, string>): WorkloadRef | null {
    switch (owner.kind) {
      case 'ReplicaSet': {
        const rs = this.get('ReplicaSet', namespace, owner.name);
        if (rs) return rs.owner?.kind === 'Deployment' ? { kind: 'Deployment', name: rs.owner.name } : { kind: 'ReplicaSet', name: rs.name };
        const hash = podLabels['pod-template-hash'];
        if (hash && owner.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
        return { kind: 'ReplicaSet', name: owner.name };
      }
      case 'Job': {
        const job = this.get('Job', namespace, owner.name);
        if (job) return job.owner?.kind === 'CronJob' ? { kind: 'CronJob', name: job.owner.name } : { kind: 'Job', name: job.name };
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

  /** The pod template the pod was created from: the ReplicaSet's/Job's own template when known. */
  templateOf(pod: Pick<PodRecord, 'namespace' | 'owner' | 'labels'>): PodRecord | null {
    const owner = pod.owner;
    if (!owner) return null;
    const direct = this.get(owner.kind, pod.namespace, owner.name);
    if (direct) return direct.template;
    const top = this.ownerOf(pod);
    return top ? this.get(top.kind, pod.namespace, top.name)?.template ?? null : null;
  }
}

function key(kind: string, namespace: string, name: string): string {
  return `${kind}\u0000${namespace}\u0000${name}`;
}

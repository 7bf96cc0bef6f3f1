// Is a workload's rollout finished? kubectl's rollout status rules (DeploymentStatusViewer,
// StatefulSetStatusViewer, DaemonSetStatusViewer) over plain status fields.
import type { WorkloadKind, RolloutStatus } from './types.js';

export type RolloutState = 'complete' | 'progressing' | 'failed';

export interface RolloutProgress {
  state: RolloutState;
  message: string;
}

export function rolloutProgress(kind: WorkloadKind, s: RolloutStatus): RolloutProgress {
  const observed = kind === 'StatefulSet' ? s.observedGeneration > 0 && s.generation <= s.observedGeneration : s.generation <= s.observedGeneration;
  if (!observed) return { state: 'progressing', message: 'waiting for the spec update to be observed' };
  switch (kind) {
    case 'Deployment':
      if (s.progressDeadlineExceeded) return { state: 'failed', message: 'exceeded its progress deadline' };
      if (s.updated < s.desired) return { state: 'progressing', message: `${s.updated} of ${s.desired} new replicas updated` };
      if (s.current > s.updated) return { state: 'progressing', message: `${s.current - s.updated} old replicas pending termination` };
      if (s.available < s.updated) return { state: 'progressing', message: `${s.available} of ${s.updated} updated replicas available` };
      return { state: 'complete', message: 'successfully rolled out' };
    case 'StatefulSet':
      if (s.ready < s.desired) return { state: 'progressing', message: `${s.ready} of ${s.desired} pods ready` };
      if (s.strategy !== 'OnDelete' && s.partition && s.partition > 0) {
        // kubectl: a partitioned rolling update is complete once the pods above the partition are updated.
        const expected = Math.max(0, s.desired - s.partition);
        if (s.updated < expected) return { state: 'progressing', message: `${s.updated} of ${expected} pods above partition ${s.partition} updated` };
        return { state: 'complete', message: `partitioned roll out complete: ${s.updated} new pods updated` };
      }
      if (s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision) {
        return { state: 'progressing', message: `${s.updated} of ${s.desired} pods updated` };
      }
      return { state: 'complete', message: 'rolling update complete' };
    case 'DaemonSet':
      if (s.updated < s.desired) return { state: 'progressing', message: `${s.updated} of ${s.desired} updated pods scheduled` };
      if (s.available < s.desired) return { state: 'progressing', message: `${s.available} of ${s.desired} updated pods available` };
      return { state: 'complete', message: 'successfully rolled out' };
    default:
      return { state: 'complete', message: `${kind} has no rollout` };
  }
}

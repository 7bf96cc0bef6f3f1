// The StatefulSet controller, simplified (OrderedReady, RollingUpdate): pods <name>-<ordinal> created
// in order, each once the one before is ready; a template change makes a new updateRevision and pods
// are replaced one at a time from the highest ordinal, keeping their names.
import type { RawObject } from '../types.js';
import { templateHash } from './names.js';
import { isReady, podFromTemplate } from './pods.js';
import { withoutZeros, type Outcome, type Runtime } from './runtime.js';

const REVISION_LABEL = 'controller-revision-hash';

export class StatefulSetController {
  /** Template hash -> revision name of StatefulSets found at start (their revision names are not our hashes). */
  private readonly adopted = new Map<string, { hash: string; revision: string }>();

  constructor(private readonly rt: Runtime) {}

  /** A StatefulSet present at start: a settled one keeps its revision name while its template stays. */
  adopt(set: RawObject): void {
    const status = set.status ?? {};
    if (typeof status.updateRevision !== 'string' || Number(set.metadata?.generation ?? 1) > Number(status.observedGeneration ?? 0)) return;
    this.adopted.set(`${set.metadata.namespace}/${set.metadata.name}`, { hash: templateHash(set.spec?.template), revision: status.updateRevision });
  }

  reconcile(namespace: string, name: string): Outcome {
    const rt = this.rt;
    const stored = rt.get('StatefulSet', namespace, name);
    if (!stored) return 'done';
    const set = structuredClone(stored) as RawObject;
    const spec = (set.spec ?? {}) as RawObject;
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const generation = Number(set.metadata.generation ?? 1);
    const status: RawObject = { ...(set.status ?? {}) };
    const observed = Number(status.observedGeneration ?? 0);

    // A spec change not yet observed: the template's revision becomes the update revision.
    let updateRevision = typeof status.updateRevision === 'string' ? status.updateRevision : undefined;
    if (generation > observed || !updateRevision) {
      const hash = templateHash(spec.template);
      const adopted = this.adopted.get(`${namespace}/${name}`);
      updateRevision = adopted?.hash === hash ? adopted.revision : `${name}-${hash}`;
    }
    let currentRevision = typeof status.currentRevision === 'string' ? status.currentRevision : updateRevision;
    const revisionOf = (pod: RawObject): string => pod.metadata?.labels?.[REVISION_LABEL] ?? currentRevision;

    const onDelete = spec.updateStrategy?.type === 'OnDelete';
    const partition = Number(spec.updateStrategy?.rollingUpdate?.partition ?? 0) || 0;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const byOrdinal = new Map<number, RawObject>();
    for (const pod of rt.podsOf(namespace, 'StatefulSet', name)) {
      const match = new RegExp(`^${escape(name)}-(\\d+)$`).exec(String(pod.metadata?.name));
      if (match) byOrdinal.set(Number(match[1]), pod);
    }

    // One step: scale down from the top, else create what is missing in order, else replace the
    // highest pod not at the update revision, each only while every other pod is ready.
    const extra = [...byOrdinal.keys()].filter((i) => i >= desired).sort((a, b) => b - a);
    const allReady = () => [...byOrdinal.values()].every(isReady);
    if (extra.length > 0) {
      const top = extra[0] as number;
      if (parallel || allReady()) rt.delete('Pod', namespace, `${name}-${top}`);
    } else {
      let acted = false;
      for (let i = 0; i < desired; i++) {
        const pod = byOrdinal.get(i);
        if (!pod) {
          this.createPod(set, i, updateRevision);
          acted = true;
          if (!parallel) break;
          continue;
        }
        if (!isReady(pod) && !parallel) {
          acted = true;
          break;
        }
      }
      if (!acted && !onDelete && allReady()) {
        for (let i = desired - 1; i >= partition; i--) {
          const pod = byOrdinal.get(i);
          if (pod && revisionOf(pod) !== updateRevision) {
            rt.delete('Pod', namespace, `${name}-${i}`);
            break;
          }
        }
      }
    }

    const pods = rt.podsOf(namespace, 'StatefulSet', name);
    const ready = pods.filter(isReady).length;
    const updated = pods.filter((p) => revisionOf(p) === updateRevision).length;
    if (updated === desired && pods.length === desired && ready === desired) currentRevision = updateRevision;
    const current = pods.filter((p) => revisionOf(p) === currentRevision).length;
    set.status = withoutZeros(
      {
        observedGeneration: generation,
        replicas: pods.length,
        readyReplicas: ready,
        currentReplicas: current,
        updatedReplicas: updated,
        currentRevision,
        updateRevision,
        collisionCount: Number(status.collisionCount ?? 0),
        availableReplicas: ready,
      },
      ['readyReplicas', 'currentReplicas', 'updatedReplicas'],
    );
    rt.save(set);

    if (currentRevision === updateRevision && ready === desired && pods.length === desired) return 'done';
    const waitingOnFailing = pods.some((p) => !isReady(p)) && pods.filter((p) => !isReady(p)).every((p) => rt.isFailing(rt.workloadOf(p)));
    return waitingOnFailing ? 'blocked' : 'progressing';
  }

  private createPod(set: RawObject, ordinal: number, revision: string): void {
    const namespace = String(set.metadata.namespace);
    const name = `${set.metadata.name}-${ordinal}`;
    const pod = podFromTemplate(set.spec?.template, {
      namespace,
      name,
      owner: set,
      labels: { [REVISION_LABEL]: revision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(ordinal) },
      spec: { hostname: name, ...(set.spec?.serviceName ? { subdomain: set.spec.serviceName } : {}) },
    });
    this.rt.createPod(pod);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

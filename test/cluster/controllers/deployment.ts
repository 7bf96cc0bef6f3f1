// The Deployment controller, simplified: a template change makes a new ReplicaSet (named by the
// pod-template-hash); pods move to it step by step within maxSurge/maxUnavailable; status and the
// Available/Progressing conditions follow, with ProgressDeadlineExceeded when new pods never get ready.
// Also the ReplicaSet controller for ReplicaSets no Deployment controls.
import { isDeepStrictEqual } from 'node:util';
import type { RawObject } from '../types.js';
import { normalizedTemplate, templateHash } from './names.js';
import { isReady, ownerReference, podFromTemplate } from './pods.js';
import { scaled, setCondition, withoutZeros, type Outcome, type Runtime } from './runtime.js';

const REVISION = 'deployment.kubernetes.io/revision';

const revisionOf = (rs: RawObject): number => Number(rs.metadata?.annotations?.[REVISION] ?? 0) || 0;

/** Unready pods first, then the newest: the order a controller picks pods to delete in. */
function deletionOrder(pods: RawObject[]): RawObject[] {
  return [...pods].sort((a, b) => {
    const ready = Number(isReady(a)) - Number(isReady(b));
    if (ready !== 0) return ready;
    const created = String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? ''));
    return created !== 0 ? created : String(b.metadata?.name).localeCompare(String(a.metadata?.name));
  });
}

export class DeploymentController {
  /** Per Deployment: what the rollout looked like when it last moved, and at which tick. */
  private readonly progress = new Map<string, { fingerprint: string; since: number }>();

  constructor(private readonly rt: Runtime) {}

  forget(namespace: string, name: string): void {
    this.progress.delete(`${namespace}/${name}`);
  }

  reconcile(namespace: string, name: string): Outcome {
    const rt = this.rt;
    const stored = rt.get('Deployment', namespace, name);
    if (!stored) {
      this.forget(namespace, name);
      return 'done';
    }
    const deployment = structuredClone(stored) as RawObject;
    const spec = (deployment.spec ?? {}) as RawObject;
    const template = spec.template as RawObject | undefined;
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const generation = Number(deployment.metadata.generation ?? 1);
    const rollingUpdate = (spec.strategy?.rollingUpdate ?? {}) as RawObject;
    const recreate = spec.strategy?.type === 'Recreate';
    const maxSurge = recreate ? 0 : scaled(rollingUpdate.maxSurge ?? '25%', desired, true, 1);
    let maxUnavailable = recreate ? desired : scaled(rollingUpdate.maxUnavailable ?? '25%', desired, false, 0);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const minAvailable = Math.max(0, desired - maxUnavailable);

    // The new ReplicaSet: the one whose template equals the Deployment's (the hash label aside).
    const owned = rt.replicaSetsOf(namespace, name);
    const wanted = normalizedTemplate(template);
    let newRS = owned.find((rs) => isDeepStrictEqual(normalizedTemplate(rs.spec?.template), wanted));
    const maxRevision = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    let created = false;
    if (!newRS && !spec.paused) {
      newRS = this.createReplicaSet(deployment, maxRevision + 1, desired, maxSurge);
      created = true;
    } else if (newRS && revisionOf(newRS) < maxRevision && !spec.paused) {
      // Back to an older template (a rollback): its ReplicaSet becomes the newest revision.
      const bumped = structuredClone(newRS) as RawObject;
      bumped.metadata.annotations = { ...bumped.metadata.annotations, [REVISION]: String(maxRevision + 1) };
      rt.save(bumped);
      newRS = rt.get('ReplicaSet', namespace, String(bumped.metadata.name));
    }
    const newName = newRS ? String(newRS.metadata.name) : null;

    if (newName && !spec.paused) this.scale(namespace, name, newName, desired, maxSurge, minAvailable, recreate);

    // Status from the pods as they are now.
    const sets = rt.replicaSetsOf(namespace, name);
    let all = 0;
    let ready = 0;
    let updated = 0;
    for (const rs of sets) {
      const pods = rt.podsOf(namespace, 'ReplicaSet', String(rs.metadata.name));
      this.syncReplicaSet(rs, pods);
      all += pods.length;
      ready += pods.filter(isReady).length;
      if (rs.metadata.name === newName) updated = pods.length;
    }
    const newReady = newName ? rt.podsOf(namespace, 'ReplicaSet', newName).filter(isReady).length : 0;
    const complete = updated === desired && all === updated && newReady >= desired;

    const key = `${namespace}/${name}`;
    let exceeded = false;
    if (complete || spec.paused) this.progress.delete(key);
    else {
      const fingerprint = `${newName}|${generation}|${updated}|${newReady}|${all}`;
      const last = this.progress.get(key);
      if (!last || last.fingerprint !== fingerprint) this.progress.set(key, { fingerprint, since: rt.tick });
      else exceeded = rt.tick - last.since >= rt.options.progressDeadlineTicks;
    }

    const now = rt.now();
    const status: RawObject = { ...(deployment.status ?? {}) };
    status.observedGeneration = generation;
    status.replicas = all;
    status.updatedReplicas = updated;
    status.readyReplicas = ready;
    status.availableReplicas = ready;
    status.unavailableReplicas = Math.max(0, Math.max(all, desired) - ready);
    withoutZeros(status, ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']);
    let conditions: RawObject[] = Array.isArray(status.conditions) ? status.conditions : [];
    conditions = setCondition(
      conditions,
      ready >= minAvailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      now,
      true,
    );
    if (spec.paused) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, now, true);
    } else if (newName) {
      const rsRef = `ReplicaSet "${newName}"`;
      const progressing = complete
        ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `${rsRef} has successfully progressed.` }
        : exceeded
          ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `${rsRef} has timed out progressing.` }
          : created
            ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${newName}"` }
            : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `${rsRef} is progressing.` };
      conditions = setCondition(conditions, progressing, now, true);
    }
    status.conditions = conditions;
    deployment.status = status;
    if (newRS) deployment.metadata.annotations = { ...deployment.metadata.annotations, [REVISION]: String(revisionOf(rt.get('ReplicaSet', namespace, String(newName)) ?? newRS)) };
    rt.save(deployment);

    if (spec.paused || complete) return 'done';
    return exceeded ? 'failed' : 'progressing';
  }

  private createReplicaSet(deployment: RawObject, revision: number, desired: number, maxSurge: number): RawObject {
    const rt = this.rt;
    const namespace = String(deployment.metadata.namespace);
    const template = (deployment.spec?.template ?? {}) as RawObject;
    let collisions = Number(deployment.status?.collisionCount ?? 0);
    let hash = templateHash(template, collisions);
    while (rt.exists('ReplicaSet', namespace, `${deployment.metadata.name}-${hash}`)) hash = templateHash(template, ++collisions);
    const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
    const selector = structuredClone(deployment.spec?.selector ?? {}) as RawObject;
    selector.matchLabels = { ...(selector.matchLabels ?? {}), 'pod-template-hash': hash };
    return rt.createObject({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${deployment.metadata.name}-${hash}`,
        namespace,
        labels,
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(desired),
          'deployment.kubernetes.io/max-replicas': String(desired + maxSurge),
          [REVISION]: String(revision),
        },
        ownerReferences: [ownerReference(deployment)],
      },
      spec: {
        replicas: 0,
        ...(deployment.spec?.minReadySeconds ? { minReadySeconds: deployment.spec.minReadySeconds } : {}),
        selector,
        template: { ...structuredClone(template), metadata: { ...structuredClone(template.metadata ?? {}), labels } },
      },
      status: { replicas: 0 },
    });
  }

  /** One step of the rollout: old pods down as far as availability allows, new pods up within the surge. */
  private scale(namespace: string, name: string, newName: string, desired: number, maxSurge: number, minAvailable: number, recreate: boolean): void {
    const rt = this.rt;
    const sets = rt.replicaSetsOf(namespace, name);
    const oldPods = sets.filter((rs) => rs.metadata.name !== newName).flatMap((rs) => rt.podsOf(namespace, 'ReplicaSet', String(rs.metadata.name)));
    let newPods = rt.podsOf(namespace, 'ReplicaSet', newName);

    if (recreate) {
      for (const pod of oldPods) rt.delete('Pod', namespace, String(pod.metadata.name));
      if (oldPods.length > 0) return;
    } else if (oldPods.length > 0) {
      const all = oldPods.length + newPods.length;
      const newUnavailable = newPods.filter((p) => !isReady(p)).length;
      let budget = all - minAvailable - newUnavailable;
      let readyBudget = oldPods.filter(isReady).length + newPods.filter(isReady).length - minAvailable;
      for (const pod of deletionOrder(oldPods)) {
        if (budget <= 0) break;
        if (isReady(pod)) {
          if (readyBudget <= 0) break;
          readyBudget--;
        }
        rt.delete('Pod', namespace, String(pod.metadata.name));
        budget--;
      }
    }

    const rs = rt.get('ReplicaSet', namespace, newName);
    if (!rs) return;
    const remainingOld = sets.filter((s) => s.metadata.name !== newName).reduce((n, s) => n + rt.podsOf(namespace, 'ReplicaSet', String(s.metadata.name)).length, 0);
    newPods = rt.podsOf(namespace, 'ReplicaSet', newName);
    if (newPods.length < desired) {
      const room = recreate ? desired - newPods.length : desired + maxSurge - (remainingOld + newPods.length);
      const count = Math.min(room, desired - newPods.length);
      for (let i = 0; i < count; i++) this.createPod(rs, namespace);
    } else if (newPods.length > desired) {
      for (const pod of deletionOrder(newPods).slice(0, newPods.length - desired)) rt.delete('Pod', namespace, String(pod.metadata.name));
    }
  }

  private createPod(rs: RawObject, namespace: string): void {
    const prefix = `${rs.metadata.name}-`;
    const name = this.rt.generateName('Pod', namespace, prefix);
    this.rt.createPod(podFromTemplate(rs.spec?.template, { namespace, name, generateName: prefix, owner: rs }));
  }

  /** spec.replicas and status of a ReplicaSet from its pods. */
  syncReplicaSet(rs: RawObject, pods: RawObject[]): void {
    const next = structuredClone(this.rt.get('ReplicaSet', String(rs.metadata.namespace), String(rs.metadata.name)) ?? rs) as RawObject;
    const specChanged = next.spec?.replicas !== pods.length;
    next.spec = { ...(next.spec ?? {}), replicas: pods.length };
    const generation = Number(next.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    const ready = pods.filter(isReady).length;
    next.status = withoutZeros(
      { replicas: pods.length, fullyLabeledReplicas: pods.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: generation },
      ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
    );
    this.rt.save(next);
  }

  /** A ReplicaSet no Deployment controls: keep spec.replicas pods. */
  reconcileReplicaSet(namespace: string, name: string): Outcome {
    const rt = this.rt;
    const rs = rt.get('ReplicaSet', namespace, name);
    if (!rs) return 'done';
    const desired = typeof rs.spec?.replicas === 'number' ? rs.spec.replicas : 1;
    let pods = rt.podsOf(namespace, 'ReplicaSet', name);
    if (pods.length < desired) for (let i = pods.length; i < desired; i++) this.createPod(rs, namespace);
    else for (const pod of deletionOrder(pods).slice(0, pods.length - desired)) rt.delete('Pod', namespace, String(pod.metadata.name));
    pods = rt.podsOf(namespace, 'ReplicaSet', name);
    const ready = pods.filter(isReady).length;
    const next = structuredClone(rs) as RawObject;
    next.status = withoutZeros(
      { replicas: pods.length, fullyLabeledReplicas: pods.length, readyReplicas: ready, availableReplicas: ready, observedGeneration: Number(rs.metadata.generation ?? 1) },
      ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
    );
    rt.save(next);
    if (ready >= desired) return 'done';
    return pods.some((p) => !isReady(p) && !rt.isFailing(rt.workloadOf(p))) ? 'progressing' : 'blocked';
  }
}

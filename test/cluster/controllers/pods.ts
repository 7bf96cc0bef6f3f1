// Pods as the controllers and the kubelet see them: built from a template, defaulted on create,
// Pending until the next tick, then Running and Ready (or crash-looping when the workload is failing).
import type { RawObject } from '../types.js';

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** The controlling owner reference of an object (kind and name), or null. */
export function controllerOf(object: RawObject | undefined): { kind: string; name: string } | null {
  const refs: RawObject[] = Array.isArray(object?.metadata?.ownerReferences) ? object.metadata.ownerReferences : [];
  const ref = refs.find((r) => r?.controller === true) ?? refs[0];
  return ref ? { kind: String(ref.kind), name: String(ref.name) } : null;
}

export function ownerReference(owner: RawObject): RawObject {
  return {
    apiVersion: String(owner.apiVersion),
    kind: String(owner.kind),
    name: String(owner.metadata.name),
    uid: String(owner.metadata.uid),
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function isReady(pod: RawObject | undefined): boolean {
  const conditions: RawObject[] = Array.isArray(pod?.status?.conditions) ? pod.status.conditions : [];
  return conditions.some((c) => c?.type === 'Ready' && c?.status === 'True');
}

/** A new pod from a workload's template: its labels and annotations, the owner, generateName or a fixed name. */
export function podFromTemplate(
  template: RawObject | undefined,
  options: { namespace: string; name: string; generateName?: string; labels?: Record<string, string>; owner: RawObject; spec?: RawObject },
): RawObject {
  const source = structuredClone(template ?? {}) as RawObject;
  const meta = (source.metadata ?? {}) as RawObject;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      ...(options.generateName ? { generateName: options.generateName } : {}),
      namespace: options.namespace,
      labels: { ...(meta.labels ?? {}), ...(options.labels ?? {}) },
      ...(meta.annotations && Object.keys(meta.annotations).length > 0 ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [ownerReference(options.owner)],
    },
    spec: { ...(source.spec ?? {}), ...(options.spec ?? {}) },
  };
}

/** The fields a real API server defaults in a pod spec (the ones kubectl shows). */
export function defaultPodSpec(spec: RawObject): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  for (const c of [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])]) {
    if (!c || typeof c !== 'object') continue;
    c.imagePullPolicy ??= typeof c.image === 'string' && (c.image.endsWith(':latest') || !/:[^/]+$/.test(c.image)) ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
  }
}

/** What a pod looks like right after create: scheduled, not started. */
export function pendingStatus(now: string): RawObject {
  return {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now }],
    qosClass: 'Burstable',
  };
}

const names = (list: unknown): RawObject[] => (Array.isArray(list) ? list.filter((c) => c && typeof c === 'object') : []);

/**
 * The kubelet's report once the containers ran: Running and Ready, or (failing) Running with the first
 * app container in CrashLoopBackOff and Ready False.
 */
export function startedStatus(pod: RawObject, failing: boolean, now: string, ips: { hostIP: string; podIP: string }): RawObject {
  const spec = pod.spec ?? {};
  const started = pod.status?.startTime ?? now;
  const containers = names(spec.containers);
  const crashing = failing ? (containers.find((c) => c.name !== 'istio-proxy') ?? containers[0])?.name : undefined;
  const running = (c: RawObject, ready: boolean): RawObject => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    containerID: `containerd://${Buffer.from(`${pod.metadata?.uid}/${c.name}`).toString('hex').slice(0, 64)}`,
    ready,
    started: ready,
    restartCount: 0,
    state: { running: { startedAt: started } },
  });
  const initContainerStatuses = names(spec.initContainers).map((c) =>
    c.restartPolicy === 'Always'
      ? running(c, true)
      : {
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: true,
          started: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } },
        },
  );
  const containerStatuses = containers.map((c) =>
    c.name === crashing
      ? {
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: false,
          started: false,
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 40s restarting failed container=${c.name} pod=${pod.metadata?.name}` } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: started, finishedAt: now } },
        }
      : running(c, true),
  );
  const ready = crashing === undefined;
  const unready = ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${crashing}]` };
  return {
    phase: 'Running',
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now, ...unready },
      { type: 'ContainersReady', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now, ...unready },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: pod.status?.conditions?.find?.((c: RawObject) => c?.type === 'PodScheduled')?.lastTransitionTime ?? now },
    ],
    hostIP: ips.hostIP,
    hostIPs: [{ ip: ips.hostIP }],
    podIP: ips.podIP,
    podIPs: [{ ip: ips.podIP }],
    startTime: started,
    ...(initContainerStatuses.length > 0 ? { initContainerStatuses } : {}),
    containerStatuses,
    qosClass: pod.status?.qosClass ?? 'Burstable',
  };
}

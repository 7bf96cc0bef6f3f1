// What the simulated controllers share: indexed reads of the store (pods and ReplicaSets by owner),
// writes that happen only when something changed, deterministic names, node and IP assignment.
import { isDeepStrictEqual } from 'node:util';
import { ApiError } from '../status.js';
import { typeForKind, type ResourceType } from '../resources.js';
import type { ObjectStore } from '../store.js';
import { timestamp } from '../store.js';
import type { RawObject } from '../types.js';
import { nameSuffix } from './names.js';
import { controllerOf } from './pods.js';

/** The workload a pod belongs to, as `failing` gets it: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or Pod. */
export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/** A reconcile's verdict on one workload. */
export type Outcome =
  /** Converged: nothing left to do until something changes. */
  | 'done'
  /** A rollout or scale is under way: reconcile again next tick. */
  | 'progressing'
  /** Waiting only for pods that will not become ready (failing workloads); no deadline to run into. */
  | 'blocked'
  /** Gave up (Deployment ProgressDeadlineExceeded). */
  | 'failed';

export const MANAGER = 'kube-controller-manager';

const POD = typeForKind('Pod') as ResourceType;
const REPLICA_SET = typeForKind('ReplicaSet') as ResourceType;

export interface RuntimeOptions {
  nodes: number;
  progressDeadlineTicks: number;
  failing: (workload: WorkloadRef) => boolean;
}

export class Runtime {
  tick = 0;
  /** Writes made by the controllers in the current tick. */
  writes = 0;
  private counter = 0;
  /** Per namespace: pods (ReplicaSets) by `Kind/name` of their controller, parsed once per change. */
  private readonly podIndex = new Map<string, Map<string, RawObject[]>>();
  private readonly replicaSetIndex = new Map<string, Map<string, RawObject[]>>();

  constructor(
    readonly store: ObjectStore,
    readonly options: RuntimeOptions,
  ) {}

  now(): string {
    return timestamp();
  }

  /** A change to a pod or ReplicaSet in `namespace` (told by the store's change feed). */
  invalidate(kind: string, namespace: string): void {
    if (kind === 'Pod') this.podIndex.delete(namespace);
    else if (kind === 'ReplicaSet') this.replicaSetIndex.delete(namespace);
  }

  private indexed(cache: Map<string, Map<string, RawObject[]>>, type: ResourceType, namespace: string, owner: string): RawObject[] {
    let byOwner = cache.get(namespace);
    if (!byOwner) {
      byOwner = new Map();
      for (const entry of this.store.entries(type, namespace)) {
        const object = entry.object;
        const ref = controllerOf(object);
        if (!ref) continue;
        const key = `${ref.kind}/${ref.name}`;
        const list = byOwner.get(key);
        if (list) list.push(object);
        else byOwner.set(key, [object]);
      }
      cache.set(namespace, byOwner);
    }
    return byOwner.get(owner) ?? [];
  }

  /** Pods whose controller is `kind/name` (cached objects: read them, never change them). */
  podsOf(namespace: string, kind: string, name: string): RawObject[] {
    return this.indexed(this.podIndex, POD, namespace, `${kind}/${name}`);
  }

  /** ReplicaSets controlled by Deployment `name` (cached objects). */
  replicaSetsOf(namespace: string, deployment: string): RawObject[] {
    return this.indexed(this.replicaSetIndex, REPLICA_SET, namespace, `Deployment/${deployment}`);
  }

  /** A fresh copy of a stored object. */
  get(kind: string, namespace: string, name: string): RawObject | undefined {
    return this.store.find(typeForKind(kind) as ResourceType, namespace, name)?.object;
  }

  exists(kind: string, namespace: string, name: string): boolean {
    return this.store.find(typeForKind(kind) as ResourceType, namespace, name) !== undefined;
  }

  /** Stores `next` (a changed copy of a stored object) unless it equals what is stored. */
  save(next: RawObject, manager = MANAGER): void {
    const current = this.get(String(next.kind), String(next.metadata?.namespace ?? ''), String(next.metadata?.name));
    if (current && isDeepStrictEqual(current, next)) return;
    this.store.put(next, { manager });
    this.writes++;
  }

  /**
   * Creates a pod through the API server's create path (defaults, the injection webhook). A refused pod
   * (a webhook answered allowed: false) is not created: the controller records FailedCreate and retries later.
   */
  createPod(pod: RawObject): boolean {
    try {
      this.store.create(pod, { manager: MANAGER });
    } catch (err) {
      if (err instanceof ApiError) {
        this.failedCreates.push({ namespace: String(pod.metadata?.namespace ?? ''), message: err.message });
        if (this.failedCreates.length > 100) this.failedCreates.shift();
        return false;
      }
      throw err;
    }
    this.writes++;
    return true;
  }

  /** Pod creations the API server refused (FailedCreate events), oldest first. */
  readonly failedCreates: { namespace: string; message: string }[] = [];

  createObject(object: RawObject): RawObject {
    const entry = this.store.create(object, { manager: MANAGER });
    this.writes++;
    return entry.object;
  }

  delete(kind: string, namespace: string, name: string): void {
    if (this.store.remove(kind, namespace, name)) this.writes++;
  }

  /** `prefix` + 5 characters, free in the namespace. */
  generateName(kind: string, namespace: string, prefix: string): string {
    for (;;) {
      const name = `${prefix}${nameSuffix(prefix, this.counter++)}`;
      if (!this.exists(kind, namespace, name)) return name;
    }
  }

  /** Round-robin scheduling over node-1..node-N. */
  nextNode(): string {
    return `node-${(this.counter++ % this.options.nodes) + 1}`;
  }

  private ipCounter = 0;
  /** Host and pod IPs for a pod starting on `node`. */
  addresses(node: string | undefined, hostNetwork: boolean): { hostIP: string; podIP: string } {
    const n = Number(/(\d+)$/.exec(node ?? '')?.[1] ?? 1);
    const hostIP = `10.0.0.${10 + n}`;
    const i = this.ipCounter++;
    return { hostIP, podIP: hostNetwork ? hostIP : `10.244.${n}.${(i % 250) + 2}` };
  }

  /** The top-level workload of a pod: its ReplicaSet's Deployment, or its direct owner, or the pod itself. */
  workloadOf(pod: RawObject): WorkloadRef {
    const namespace = String(pod.metadata?.namespace ?? '');
    const owner = controllerOf(pod);
    if (!owner) return { kind: 'Pod', namespace, name: String(pod.metadata?.name) };
    if (owner.kind === 'ReplicaSet') {
      const rsOwner = controllerOf(this.get('ReplicaSet', namespace, owner.name));
      if (rsOwner?.kind === 'Deployment') return { kind: 'Deployment', namespace, name: rsOwner.name };
    }
    return { kind: owner.kind, namespace, name: owner.name };
  }

  isFailing(ref: WorkloadRef): boolean {
    return this.options.failing(ref);
  }
}

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaled(value: unknown, total: number, roundUp: boolean, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.trunc(value));
  if (typeof value === 'string') {
    const percent = /^(\d+)%$/.exec(value.trim());
    if (percent) {
      const exact = (Number(percent[1]) * total) / 100;
      return roundUp ? Math.ceil(exact) : Math.floor(exact);
    }
    if (/^\d+$/.test(value.trim())) return Number(value.trim());
  }
  return fallback;
}

/** Drops zero counters, as Go's omitempty does for a workload status. */
export function withoutZeros(status: RawObject, fields: readonly string[]): RawObject {
  for (const f of fields) if (status[f] === 0) delete status[f];
  return status;
}

/** Sets a condition, keeping lastTransitionTime when the status did not change (and lastUpdateTime when nothing did). */
export function setCondition(conditions: RawObject[], next: { type: string; status: string; reason: string; message: string }, now: string, withUpdateTime: boolean): RawObject[] {
  const old = conditions.find((c) => c?.type === next.type);
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return conditions;
  const condition: RawObject = {
    type: next.type,
    status: next.status,
    ...(withUpdateTime ? { lastUpdateTime: now } : {}),
    lastTransitionTime: old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : now,
    reason: next.reason,
    message: next.message,
  };
  return old ? conditions.map((c) => (c === old ? condition : c)) : [...conditions, condition];
}

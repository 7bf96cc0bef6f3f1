// Simulated controllers for the test cluster, so that `kubectl rollout restart|status` and our rollout
// command behave as on a real cluster: Deployment (with ReplicaSets), StatefulSet and DaemonSet
// controllers, a kubelet that starts pods one tick after they are created, garbage collection of
// owned objects, and the sidecar injection webhook on the create path of pods (API and controllers).
//
//   const cluster = await startTestCluster({ objects, controllers: { tickMs: 50, failing: (w) => w.name === 'checkout' } });
//   await cluster.controllers!.settle();
//
// Everything happens in ticks (a timer, or tick() by hand); names come from hashes and counters.
import type { ResourceType } from '../resources.js';
import { typeForKind } from '../resources.js';
import type { Change, ObjectStore, StoredEntry, WriteOptions } from '../store.js';
import type { RawObject } from '../types.js';
import { AmbientCniAgent } from './ambient-cni.js';
import { DaemonSetController } from './daemonset.js';
import { DeploymentController } from './deployment.js';
import { controllerOf, defaultPodSpec, pendingStatus, startedStatus } from './pods.js';
import { Runtime, type Outcome, type WorkloadRef } from './runtime.js';
import { StatefulSetController } from './statefulset.js';
import { INJECTION_INPUT_KINDS, SidecarInjector, type InjectionResult } from './webhook.js';

export type { Outcome, WorkloadRef } from './runtime.js';
export type { InjectionResult } from './webhook.js';

export interface ControllerOptions {
  /** Milliseconds between ticks; default 50. */
  tickMs?: number;
  /** Pods of these workloads never become ready (CrashLoopBackOff); asked at every tick. */
  failing?: (workload: WorkloadRef) => boolean;
  /** Inject native sidecars (istio-proxy as an init container), Istio >= 1.28's default; default true. */
  nativeSidecars?: boolean;
  /** Run new pods through the simulated injection webhook; default true. */
  inject?: boolean;
  /** Ticks without progress before a Deployment reports ProgressDeadlineExceeded; default 20. */
  progressDeadlineTicks?: number;
  /** Nodes pods are scheduled on (node-1..node-N); DaemonSets without a stored status run on all; default 3. */
  nodes?: number;
  /** Start paused: nothing happens until resume() (or tick()). */
  paused?: boolean;
  /** Run the ambient istio-cni agent (captures pods in ambient namespaces while ztunnel and istio-cni are ready); default true. */
  ambient?: boolean;
}

export interface Controllers {
  /** Ticks run so far. */
  readonly ticks: number;
  readonly paused: boolean;
  /** Runs one tick now (also while paused). */
  tick(): void;
  /** Stops the timer's ticks (tick() still works); writes are still seen and acted on after resume(). */
  pause(): void;
  resume(): void;
  /**
   * Resolves at the end of the first tick after which nothing is in progress: no rollout, scale or pod
   * start pending (pods of failing workloads and Deployments past their deadline do not count).
   * Rejects after `timeoutMs` (default 10 s) naming what is still in progress.
   */
  settle(options?: { timeoutMs?: number }): Promise<void>;
  /** What is in progress now (workloads as Kind/namespace/name, starting pods as Pod/namespace/name). */
  busy(): string[];
  /** The last outcome of each workload reconciled. */
  outcome(kind: string, namespace: string, name: string): Outcome | undefined;
  /** Runs the injection webhook on a pod object (changed in place, not stored); returns the engine's decision and what was added. */
  inject(pod: RawObject): InjectionResult;
  /** Stops the timer and unhooks the store (close() of the cluster calls it). */
  stop(): void;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

interface StartingPod {
  namespace: string;
  name: string;
  uid: string;
  /** The tick during (or after) which it was created: it starts in a later one. */
  tick: number;
  /** Set once it was reported crash-looping (its workload is failing). */
  failing: boolean;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

function workloadDefaults(object: RawObject): void {
  const spec = (object.spec ??= {}) as RawObject;
  const template = spec.template as RawObject | undefined;
  if (template && typeof template === 'object') defaultPodSpec((template.spec ??= {}));
  switch (object.kind) {
    case 'Deployment':
      spec.replicas ??= 1;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      break;
    case 'StatefulSet':
      spec.replicas ??= 1;
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.revisionHistoryLimit ??= 10;
      break;
    case 'DaemonSet':
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      spec.revisionHistoryLimit ??= 10;
      break;
  }
}

export function startControllers(store: ObjectStore, options: ControllerOptions = {}): Controllers {
  const tickMs = options.tickMs ?? 50;
  const failing = options.failing ?? (() => false);
  const rt = new Runtime(store, {
    nodes: Math.max(1, options.nodes ?? 3),
    progressDeadlineTicks: Math.max(1, options.progressDeadlineTicks ?? 20),
    failing,
  });
  const injector = new SidecarInjector(store, { nativeSidecars: options.nativeSidecars ?? true });
  const inject = options.inject ?? true;
  const deployments = new DeploymentController(rt);
  const statefulSets = new StatefulSetController(rt);
  const daemonSets = new DaemonSetController(rt);
  const cniAgent = options.ambient === false ? null : new AmbientCniAgent(store);

  const dirty = new Set<string>();
  const active = new Set<string>();
  const outcomes = new Map<string, Outcome>();
  const starting = new Map<string, StartingPod>();
  const collect: WorkloadRef[] = [];
  const waiters = new Set<Waiter>();
  let paused = options.paused ?? false;
  let stopped = false;

  const mark = (kind: string, namespace: string, name: string) => dirty.add(`${kind}/${namespace}/${name}`);

  /** The workload to reconcile when a pod or ReplicaSet changes. */
  const markOwner = (namespace: string, owner: { kind: string; name: string } | null) => {
    if (!owner) return;
    if (owner.kind === 'ReplicaSet') {
      const top = controllerOf(rt.get('ReplicaSet', namespace, owner.name));
      if (top?.kind === 'Deployment') mark('Deployment', namespace, top.name);
      else mark('ReplicaSet', namespace, owner.name);
    } else if (WORKLOAD_KINDS.has(owner.kind)) mark(owner.kind, namespace, owner.name);
  };

  const onChange = (change: Change) => {
    const { entry } = change;
    const kind = entry.type.kind;
    if (INJECTION_INPUT_KINDS.has(kind)) injector.invalidate();
    if (kind === 'Pod' || kind === 'Namespace' || kind === 'DaemonSet' || kind === 'ConfigMap') cniAgent?.invalidate();
    if (kind === 'Pod' || kind === 'ReplicaSet') {
      rt.invalidate(kind, entry.namespace);
      const owner = controllerOf(entry.object);
      if (kind === 'Pod') {
        if (change.type === 'DELETED') starting.delete(`${entry.namespace}/${entry.name}`);
        markOwner(entry.namespace, owner);
      } else if (owner?.kind === 'Deployment') mark('Deployment', entry.namespace, owner.name);
      else mark('ReplicaSet', entry.namespace, entry.name);
    } else if (WORKLOAD_KINDS.has(kind)) mark(kind, entry.namespace, entry.name);
    if (change.type === 'DELETED' && WORKLOAD_KINDS.has(kind)) collect.push({ kind, namespace: entry.namespace, name: entry.name });
  };

  // The API server's create path: defaults, then (pods) the injection webhook and scheduling.
  const originalCreate = store.create;
  const admit = (object: RawObject) => {
    if (object.kind === 'Pod') {
      const spec = (object.spec ??= {}) as RawObject;
      defaultPodSpec(spec);
      if (inject) injector.inject(object);
      spec.nodeName ??= rt.nextNode();
      object.status = pendingStatus(rt.now());
    } else if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(String(object.kind))) workloadDefaults(object);
  };
  store.create = (object: RawObject, writeOptions: WriteOptions, fresh = true): StoredEntry => {
    if (fresh && !stopped) admit(object);
    const entry = originalCreate.call(store, object, writeOptions, fresh);
    if (fresh && !stopped && !writeOptions.dryRun && object.kind === 'Pod') {
      starting.set(`${entry.namespace}/${entry.name}`, { namespace: entry.namespace, name: entry.name, uid: String(object.metadata?.uid), tick: rt.tick, failing: false });
    }
    return entry;
  };
  const unsubscribe = store.subscribe(onChange);

  // What is there at start: settled StatefulSets and DaemonSets are adopted as they are; workloads with
  // a spec change not yet observed are picked up.
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet'] as const) {
    for (const entry of store.entries(typeForKind(kind) as ResourceType)) {
      const object = entry.object;
      if (kind === 'StatefulSet') statefulSets.adopt(object);
      if (kind === 'DaemonSet') daemonSets.adopt(object);
      if (Number(object.metadata?.generation ?? 1) > Number(object.status?.observedGeneration ?? 0)) mark(kind, entry.namespace, entry.name);
    }
  }

  const reconcile = (key: string): Outcome => {
    const [kind, namespace, name] = key.split('/') as [string, string, string];
    switch (kind) {
      case 'Deployment':
        return deployments.reconcile(namespace, name);
      case 'StatefulSet':
        return statefulSets.reconcile(namespace, name);
      case 'DaemonSet':
        return daemonSets.reconcile(namespace, name);
      case 'ReplicaSet': {
        const owner = controllerOf(rt.get('ReplicaSet', namespace, name));
        if (owner?.kind === 'Deployment') {
          if (rt.exists('Deployment', namespace, owner.name)) mark('Deployment', namespace, owner.name);
          return 'done';
        }
        return deployments.reconcileReplicaSet(namespace, name);
      }
      default:
        return 'done';
    }
  };

  /** Garbage collection: what a deleted workload owned goes too (unless it was re-created meanwhile). */
  const collectGarbage = () => {
    for (const ref of collect.splice(0)) {
      if (rt.exists(ref.kind, ref.namespace, ref.name)) continue;
      if (ref.kind === 'Deployment') {
        deployments.forget(ref.namespace, ref.name);
        for (const rs of rt.replicaSetsOf(ref.namespace, ref.name)) rt.delete('ReplicaSet', ref.namespace, String(rs.metadata.name));
      } else {
        for (const pod of rt.podsOf(ref.namespace, ref.kind, ref.name)) rt.delete('Pod', ref.namespace, String(pod.metadata.name));
      }
    }
  };

  /** The kubelet: pods created before this tick start, Ready unless their workload is failing. */
  const startPods = () => {
    const type = typeForKind('Pod') as ResourceType;
    for (const [key, pod] of [...starting]) {
      if (pod.tick >= rt.tick) continue;
      const entry = store.find(type, pod.namespace, pod.name);
      const object = entry?.object;
      if (!object || String(object.metadata?.uid) !== pod.uid) {
        starting.delete(key);
        continue;
      }
      const crashing = rt.isFailing(rt.workloadOf(object));
      if (crashing && pod.failing) continue;
      object.status = startedStatus(object, crashing, rt.now(), rt.addresses(object.spec?.nodeName, object.spec?.hostNetwork === true));
      rt.save(object, 'kubelet');
      if (crashing) pod.failing = true;
      else starting.delete(key);
    }
  };

  const busy = (): string[] => [
    ...[...new Set([...dirty, ...active])].sort(),
    ...collect.map((r) => `garbage of ${r.kind}/${r.namespace}/${r.name}`),
    ...[...starting.values()].filter((p) => !p.failing).map((p) => `Pod/${p.namespace}/${p.name}`),
  ];

  const tick = () => {
    if (stopped) return;
    rt.tick++;
    rt.writes = 0;
    try {
      collectGarbage();
      startPods();
      const work = [...new Set([...dirty, ...active])].sort();
      dirty.clear();
      for (const key of work) {
        const outcome = reconcile(key);
        outcomes.set(key, outcome);
        if (outcome === 'progressing') active.add(key);
        else active.delete(key);
      }
      cniAgent?.reconcile((object) => rt.save(object, 'istio-cni-agent'));
    } catch (err) {
      process.stderr.write(`test-cluster controllers: tick ${rt.tick} failed: ${(err as Error).stack ?? String(err)}\n`);
    }
    if (rt.writes === 0 && busy().length === 0) {
      for (const waiter of [...waiters]) {
        clearTimeout(waiter.timer);
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const timer = setInterval(() => {
    if (!paused) tick();
  }, tickMs);
  timer.unref();

  return {
    get ticks() {
      return rt.tick;
    },
    get paused() {
      return paused;
    },
    tick,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    settle: ({ timeoutMs = 10_000 } = {}) =>
      new Promise<void>((resolve, reject) => {
        if (stopped) return reject(new Error('the controllers are stopped'));
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`the controllers did not settle within ${timeoutMs} ms; in progress: ${busy().join(', ') || 'nothing (still writing)'}`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      }),
    busy,
    outcome: (kind, namespace, name) => outcomes.get(`${kind}/${namespace}/${name}`),
    inject: (pod) => injector.inject(pod),
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      if (store.create !== originalCreate) delete (store as { create?: unknown }).create;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('the controllers were stopped'));
      }
      waiters.clear();
    },
  };
}

// The DaemonSet controller, simplified: one pod per node (node-1..node-N, N from the stored
// status.desiredNumberScheduled or the cluster's node count); a template change replaces pods node
// by node within maxUnavailable (RollingUpdate); pods carry controller-revision-hash.
import type { RawObject } from '../types.js';
import { templateHash } from './names.js';
import { isReady, podFromTemplate } from './pods.js';
import { scaled, withoutZeros, type Outcome, type Runtime } from './runtime.js';

const REVISION_LABEL = 'controller-revision-hash';

export class DaemonSetController {
  /** Template hash of DaemonSets found settled at start: their pods (without the label) run it. */
  private readonly adopted = new Map<string, string>();

  constructor(private readonly rt: Runtime) {}

  adopt(set: RawObject): void {
    if (Number(set.metadata?.generation ?? 1) > Number(set.status?.observedGeneration ?? 0)) return;
    this.adopted.set(`${set.metadata.namespace}/${set.metadata.name}`, templateHash(set.spec?.template));
  }

  reconcile(namespace: string, name: string): Outcome {
    const rt = this.rt;
    const stored = rt.get('DaemonSet', namespace, name);
    if (!stored) return 'done';
    const set = structuredClone(stored) as RawObject;
    const spec = (set.spec ?? {}) as RawObject;
    const generation = Number(set.metadata.generation ?? 1);
    const nodes = Number(set.status?.desiredNumberScheduled) > 0 ? Number(set.status.desiredNumberScheduled) : rt.options.nodes;
    const hash = templateHash(spec.template);
    const adopted = this.adopted.get(`${namespace}/${name}`);
    const revisionOf = (pod: RawObject): string | undefined => pod.metadata?.labels?.[REVISION_LABEL] ?? adopted;
    const onDelete = spec.updateStrategy?.type === 'OnDelete';
    const maxUnavailable = Math.max(1, scaled(spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, nodes, true, 1));

    // Pods to nodes: each pod on its node; pods on a taken or unknown node fill free ones; the rest go.
    const slots = new Map<string, RawObject>();
    const unplaced: RawObject[] = [];
    const nodeNames = Array.from({ length: nodes }, (_, i) => `node-${i + 1}`);
    const pods = [...rt.podsOf(namespace, 'DaemonSet', name)].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    for (const pod of pods) {
      const node = String(pod.spec?.nodeName ?? '');
      if (nodeNames.includes(node) && !slots.has(node)) slots.set(node, pod);
      else unplaced.push(pod);
    }
    for (const node of nodeNames) if (!slots.has(node) && unplaced.length > 0) slots.set(node, unplaced.shift() as RawObject);
    for (const pod of unplaced) rt.delete('Pod', namespace, String(pod.metadata.name));

    // Missing pods first; then old pods, unready ones first, as long as few enough nodes are unavailable.
    for (const node of nodeNames) if (!slots.has(node)) this.createPod(set, node, hash, generation);
    if (!onDelete) {
      let unavailable = nodeNames.filter((n) => !slots.has(n) || !isReady(slots.get(n))).length;
      const old = nodeNames.filter((n) => slots.has(n) && revisionOf(slots.get(n) as RawObject) !== hash);
      old.sort((a, b) => Number(isReady(slots.get(a))) - Number(isReady(slots.get(b))));
      for (const node of old) {
        const pod = slots.get(node) as RawObject;
        if (isReady(pod)) {
          if (unavailable >= maxUnavailable) break;
          unavailable++;
        }
        rt.delete('Pod', namespace, String(pod.metadata.name));
      }
    }

    const now = rt.podsOf(namespace, 'DaemonSet', name);
    const ready = now.filter(isReady).length;
    const updated = now.filter((p) => revisionOf(p) === hash).length;
    set.status = withoutZeros(
      {
        currentNumberScheduled: now.length,
        numberMisscheduled: 0,
        desiredNumberScheduled: nodes,
        numberReady: ready,
        observedGeneration: generation,
        updatedNumberScheduled: updated,
        numberAvailable: ready,
        numberUnavailable: Math.max(0, nodes - ready),
      },
      ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'],
    );
    rt.save(set);

    if ((onDelete || updated === nodes) && ready === nodes && now.length === nodes) return 'done';
    const unready = now.filter((p) => !isReady(p));
    return unready.length > 0 && unready.every((p) => rt.isFailing(rt.workloadOf(p))) ? 'blocked' : 'progressing';
  }

  private createPod(set: RawObject, node: string, hash: string, generation: number): void {
    const namespace = String(set.metadata.namespace);
    const prefix = `${set.metadata.name}-`;
    const name = this.rt.generateName('Pod', namespace, prefix);
    const pod = podFromTemplate(set.spec?.template, {
      namespace,
      name,
      generateName: prefix,
      owner: set,
      labels: { [REVISION_LABEL]: hash, 'pod-template-generation': String(generation) },
      spec: { nodeName: node },
    });
    this.rt.createPod(pod);
  }
}

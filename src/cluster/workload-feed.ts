// The workload lists (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) as they arrive, so that a
// pod is audited as soon as every workload of its namespace is in, not once every list has ended.
//
// A cluster-wide list comes in key order: the API server reads /registry/<resource>/<namespace>/<name>
// in order from etcd (and its watch cache pages the same order), as the test cluster does. Keys compare
// as strings, `<namespace>/` first, so a list whose last item is in a namespace whose `<namespace>/` is
// greater than `ns/` holds nothing more of ns. A pod of ns is admitted when every list has ended or
// passed ns that way.
//
// Nothing is taken on trust: an item that comes before the last one of its list breaks the order. When
// its namespace comes after every namespace admitted so far (in key order), that list simply stops
// admitting until it ends; otherwise pods may have been audited without a workload they needed (or the
// cluster context built without istiod's Deployment), and the feed fails with OutOfOrderList (the audit
// is then redone without the feed, see audit-cluster.ts). A list read namespace by namespace (the RBAC
// fallback) is not in key order: it admits only once it has ended.
//
// The lists go at the audit's pace (paced): a list that holds `lead` records in namespaces past every
// namespace asked about so far (by pods, or by the base state: istiod's namespaces) waits before it
// reads its next page. Pods hold most of a cluster's bytes and come slower than their workloads (50 pods
// and 9 Deployments a namespace: a page of Deployments covers 5 pages of pods); read at full speed, the
// workload lists took a third of the CPU while the first pod pages arrived, and held them up.
import type { WorkloadRecord } from '../engine/types.js';

/**
 * Records a list may hold in namespaces no pod has asked about yet before it waits, by default (the live
 * source gives two pages' worth): when it reads on, a round trip and a page, the audit goes through them.
 */
export const LEAD_RECORDS = 1000;

/** The workload lists broke their order after pods were admitted on it: the audit must be redone. */
export class OutOfOrderList extends Error {
  constructor(kind: string, namespace: string) {
    super(`the ${kind} list came out of key order (namespace ${namespace}); audited again once every workload is read`);
  }
}

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class WorkloadFeed {
  /** Per list: `<namespace>/` of its last item ('' before the first), and that namespace. */
  private readonly lastKey: string[];
  private readonly lastNamespace: string[];
  private readonly ended: boolean[];
  private readonly ordered: boolean[];
  private open: number;
  /** The greatest `<namespace>/` admitted while a list was still open ('' for none). */
  private admittedKey = '';
  /** The last namespace admits() said yes to (pods come namespace by namespace). */
  private admittedNamespace: string | null = null;
  private failure: { error: unknown } | null = null;
  private waiters: Waiter[] = [];
  private sink: ((records: readonly WorkloadRecord[]) => void) | null = null;
  private held: WorkloadRecord[] = [];
  /** Per list: its RBAC gaps, given with end(). */
  private readonly lateWarnings: string[][];
  /** The greatest `<namespace>/` asked about (admits, also when the answer is no). */
  private demandKey = '';
  /** Per list: its records in namespaces past demandKey, as runs of one namespace, and their number. */
  private readonly ahead: { key: string; count: number }[][];
  private readonly lead: number[];
  /** Per list: never waits (a list the base state waits to end). */
  private readonly unpaced: boolean[];
  /** Off once the pods are all in (whenEnded): every list reads to its end. */
  private pacing = true;
  private pacedWaiters: { list: number; resolve: () => void }[] = [];

  constructor(
    readonly kinds: readonly string[],
    private readonly leadRecords = LEAD_RECORDS,
  ) {
    this.lastKey = kinds.map(() => '');
    this.lastNamespace = kinds.map(() => '');
    this.ended = kinds.map(() => false);
    this.ordered = kinds.map(() => true);
    this.lateWarnings = kinds.map(() => []);
    this.ahead = kinds.map(() => []);
    this.lead = kinds.map(() => 0);
    this.unpaced = kinds.map(() => false);
    this.open = kinds.length;
  }

  /** The feed failed (a list's error, or OutOfOrderList): its lists should stop reading. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** A batch of list `list`, in the order it came. */
  add(list: number, records: readonly WorkloadRecord[]): void {
    if (this.failure) return;
    for (const r of records) {
      if (r.namespace !== this.lastNamespace[list]) {
        const key = `${r.namespace}/`;
        if (key < this.lastKey[list]!) {
          // Every admission so far had this list (open, so ordered then) past the admitted namespaces.
          if (key <= this.admittedKey) {
            this.fail(new OutOfOrderList(this.kinds[list]!, r.namespace));
            return;
          }
          this.ordered[list] = false;
          continue;
        }
        this.lastKey[list] = key;
        this.lastNamespace[list] = r.namespace;
      }
      this.countAhead(list, this.lastKey[list]!);
    }
    if (this.sink) this.sink(records);
    else for (const r of records) this.held.push(r);
    this.wake();
  }

  /** List `list` is read namespace by namespace from here on: it admits nothing until it ends. */
  unordered(list: number): void {
    this.ordered[list] = false;
  }

  /** List `list` has ended; `warnings`: its RBAC gaps, reported with the audit (whenEnded). */
  end(list: number, warnings: readonly string[] = []): void {
    if (this.ended[list]) return;
    this.ended[list] = true;
    this.open--;
    this.lateWarnings[list] = [...warnings];
    this.wake();
  }

  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
    this.wakePaced(); // their lists stop (failed)
  }

  /**
   * Resolves when list `list` may read on: at once unless it holds `lead` records in namespaces no one
   * has asked about yet; then once the audit (or the base state) asks for one of them, the pods are
   * all in, or the feed fails. An unordered list never waits (it admits nothing until it ends).
   */
  paced(list: number): Promise<void> {
    if (this.mayRead(list)) return Promise.resolve();
    return new Promise((resolve) => this.pacedWaiters.push({ list, resolve }));
  }

  private mayRead(list: number): boolean {
    return !this.pacing || this.failure !== null || this.unpaced[list]! || !this.ordered[list] || this.lead[list]! < this.leadRecords;
  }

  private countAhead(list: number, key: string): void {
    if (key <= this.demandKey) return;
    const runs = this.ahead[list]!;
    const last = runs[runs.length - 1];
    if (last?.key === key) last.count++;
    else runs.push({ key, count: 1 });
    this.lead[list]!++;
  }

  /** Asked about `key`: the records up to it no longer count as ahead. */
  private demand(key: string): void {
    if (key <= this.demandKey) return;
    this.demandKey = key;
    for (let i = 0; i < this.ahead.length; i++) {
      const runs = this.ahead[i]!;
      let dropped = 0;
      while (dropped < runs.length && runs[dropped]!.key <= key) this.lead[i]! -= runs[dropped++]!.count;
      if (dropped > 0) runs.splice(0, dropped);
    }
    this.wakePaced();
  }

  private wakePaced(): void {
    if (this.pacedWaiters.length === 0) return;
    const waiting: { list: number; resolve: () => void }[] = [];
    for (const w of this.pacedWaiters) {
      if (this.mayRead(w.list)) w.resolve();
      else waiting.push(w);
    }
    this.pacedWaiters = waiting;
  }

  /** The records so far; those that come later are held for attach(). */
  take(): WorkloadRecord[] {
    const records = this.held;
    this.held = [];
    return records;
  }

  /** Where records go from now on (the held ones first). */
  attach(sink: (records: readonly WorkloadRecord[]) => void): void {
    this.sink = sink;
    const held = this.take();
    if (held.length) sink(held);
  }

  /** Every workload of `namespace` is in (and it counts as admitted): a pod of it can be audited. */
  admits(namespace: string): boolean {
    if (this.open === 0 || namespace === this.admittedNamespace) return this.failure === null;
    if (this.failure) return false;
    const key = `${namespace}/`;
    this.demand(key);
    for (let i = 0; i < this.lastKey.length; i++) {
      if (!this.ended[i] && !(this.ordered[i] && this.lastKey[i]! > key)) return false;
    }
    if (key > this.admittedKey) this.admittedKey = key;
    this.admittedNamespace = namespace;
    return true;
  }

  /** Resolves once admits(namespace); rejects when the feed fails first. */
  whenAdmits(namespace: string): Promise<void> {
    return this.until(() => this.admits(namespace));
  }

  /** Resolves once the given lists have ended and every other list admits `namespaces`. */
  whenCovers(namespaces: readonly string[], endedLists: readonly number[]): Promise<void> {
    for (const i of endedLists) this.unpaced[i] = true;
    for (const ns of namespaces) this.demand(`${ns}/`);
    this.wakePaced();
    return this.until(() => endedLists.every((i) => this.ended[i]) && namespaces.every((ns) => this.admits(ns)));
  }

  /**
   * For when the pods are all in: every list reads to its end from now on (no pacing); resolves with the
   * lists' RBAC warnings (in the lists' order) once every list has ended; rejects when the feed fails.
   */
  async whenEnded(): Promise<string[]> {
    this.pacing = false;
    this.wakePaced();
    await this.until(() => this.open === 0);
    return this.lateWarnings.flat();
  }

  private until(ready: () => boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ ready, resolve, reject }));
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.failure) w.reject(this.failure.error);
      else if (w.ready()) w.resolve();
      else waiting.push(w);
    }
    this.waiters = waiting;
  }
}

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
import type { WorkloadRecord } from '../engine/types.js';

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

  constructor(readonly kinds: readonly string[]) {
    this.lastKey = kinds.map(() => '');
    this.lastNamespace = kinds.map(() => '');
    this.ended = kinds.map(() => false);
    this.ordered = kinds.map(() => true);
    this.lateWarnings = kinds.map(() => []);
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
      if (r.namespace === this.lastNamespace[list]) continue;
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
    return this.until(() => endedLists.every((i) => this.ended[i]) && namespaces.every((ns) => this.admits(ns)));
  }

  /** Resolves with the lists' RBAC warnings (in the lists' order) once every list has ended; rejects when the feed fails. */
  async whenEnded(): Promise<string[]> {
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

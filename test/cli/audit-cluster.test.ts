// auditCluster with the workloads streamed (src/cluster/workload-feed.ts): pods are audited while the
// workload lists still arrive, each once its namespace's workloads are in, and the report is the one
// of the whole state; when the lists break their key order under pods already audited, the audit is
// done again from the whole state.
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { auditCluster } from '../../src/cli/audit-cluster.js';
import { demoSource } from '../../src/cluster/demo-state.js';
import type { BaseState, ClusterSource, Scope } from '../../src/cluster/source.js';
import { WorkloadFeed } from '../../src/cluster/workload-feed.js';
import type { PodRecord, WorkloadRecord } from '../../src/engine/types.js';

const ALL: Scope = { namespace: null, labelSelector: null };
const key = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`;
const byKey = <T extends { namespace: string; name: string }>(a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/** Groups of records by namespace, in key order. */
function byNamespace<T extends { namespace: string; name: string }>(records: T[]): T[][] {
  const groups: T[][] = [];
  for (const r of [...records].sort(byKey)) {
    const last = groups.at(-1);
    if (last && last[0]!.namespace === r.namespace) last.push(r);
    else groups.push([r]);
  }
  return groups;
}

/**
 * The demo as a live source would give it: pods page by page in key order (a page per namespace), the
 * workloads (but DaemonSets) fed a namespace per tick. `late`: a namespace whose workloads come last,
 * out of key order.
 */
class StreamingDemo implements ClusterSource {
  readonly events: string[] = [];
  loadBaseCalls = 0;
  streamingCalls = 0;
  private readonly inner = demoSource();

  constructor(private readonly late?: string) {}

  info() {
    return this.inner.info();
  }

  defaultNamespace() {
    return 'default';
  }

  getPod(namespace: string, name: string) {
    return this.inner.getPod(namespace, name);
  }

  getWorkload(...args: Parameters<ClusterSource['getWorkload']>) {
    return this.inner.getWorkload(...args);
  }

  loadBase(scope: Scope): Promise<BaseState> {
    this.loadBaseCalls++;
    return this.inner.loadBase(scope);
  }

  async *pods(scope: Scope): AsyncIterable<PodRecord[]> {
    const all: PodRecord[] = [];
    for await (const page of this.inner.pods(scope)) all.push(...page);
    for (const page of byNamespace(all)) {
      await tick();
      yield page;
    }
  }

  async loadBaseStreaming(scope: Scope): Promise<{ base: BaseState; workloads: WorkloadFeed }> {
    this.streamingCalls++;
    const whole = await this.inner.loadBase(scope);
    const feed = new WorkloadFeed(['workloads', 'DaemonSet']);
    feed.add(1, whole.workloads.filter((w) => w.kind === 'DaemonSet'));
    feed.end(1);
    const groups = byNamespace(whole.workloads.filter((w) => w.kind !== 'DaemonSet'));
    const held = groups.filter((g) => g[0]!.namespace === this.late);
    void (async () => {
      const feedGroup = (g: WorkloadRecord[]) => {
        this.events.push(`fed ${g[0]!.namespace}`);
        feed.add(0, g);
      };
      for (const g of groups) {
        if (held.includes(g)) continue;
        feedGroup(g);
        await tick();
        await tick();
      }
      for (const g of held) feedGroup(g);
      this.events.push('ended');
      feed.end(0);
    })();
    await feed.whenCovers(['istio-system'], [1]);
    return { base: { ...whole, workloads: feed.take() }, workloads: feed };
  }
}

const audit = (source: ClusterSource) => {
  const events = source instanceof StreamingDemo ? source.events : [];
  return auditCluster(source, ALL, { onProgress: (text) => text.startsWith('auditing') && events.push(text) });
};

describe('auditCluster with the workloads streamed', () => {
  it('audits pods while the workload lists arrive, with the report of the whole state', async () => {
    const expected = await auditCluster(demoSource(), ALL);
    const source = new StreamingDemo();
    const report = await audit(source);
    expect(report).toEqual(expected);
    expect(source.streamingCalls).toBe(1);
    expect(source.loadBaseCalls).toBe(0);
    // Pods were audited before the last workloads came.
    const ended = source.events.indexOf('ended');
    expect(source.events.slice(0, ended).some((e) => e.startsWith('auditing'))).toBe(true);
  });

  it('a page of a namespace is audited only after its workloads were fed', async () => {
    const source = new StreamingDemo();
    await audit(source);
    const whole = await demoSource().loadBase(ALL);
    const podNamespaces = byNamespace((await (async () => {
      const all: PodRecord[] = [];
      for await (const page of demoSource().pods(ALL)) all.push(...page);
      return all;
    })()));
    const fedBefore = (i: number) => source.events.slice(0, i).filter((e) => e.startsWith('fed ')).map((e) => e.slice(4));
    const audits = source.events.map((e, i) => [e, i] as const).filter(([e]) => e.startsWith('auditing'));
    expect(audits).toHaveLength(podNamespaces.length);
    audits.forEach(([, at], page) => {
      const ns = podNamespaces[page]![0]!.namespace;
      const needed = whole.workloads.some((w) => w.kind !== 'DaemonSet' && w.namespace === ns);
      if (needed) expect(fedBefore(at)).toContain(ns);
    });
  });

  // bookinfo comes before istio-system, whose workloads the cluster context was built on; shop after it,
  // under pods of shop's namespace and the ones before it already audited.
  it.each(['bookinfo', 'shop'])('workloads of %s out of key order, under what was already admitted: audited again from the whole state', async (late) => {
    const expected = await auditCluster(demoSource(), ALL);
    const source = new StreamingDemo(late);
    const report = await audit(source);
    expect(report).toEqual(expected);
    expect(source.streamingCalls).toBe(1);
    expect(source.loadBaseCalls).toBe(1);
    if (late === 'shop') {
      // Pods past shop were audited before shop's workloads came back.
      const fedShop = source.events.indexOf('fed shop');
      expect(source.events.slice(0, fedShop).filter((e) => e.startsWith('auditing')).length).toBeGreaterThan(3);
    }
  });
});

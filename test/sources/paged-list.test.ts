// Listing with the next page requested ahead (src/cluster/paged-list.ts), against the test cluster:
// every item exactly once (also across a retry mid-page, on the page being read or the one fetched
// ahead, and across a 410 restart), never more than one page in flight ahead of the reader; and
// readScope: pods read while loadBase is still under way (within its bound), the RBAC fallback, failures.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cluster/api-client.js';
import { loadKubeconfig } from '../../src/cluster/kubeconfig.js';
import { LiveSource } from '../../src/cluster/live-source.js';
import { PagedList } from '../../src/cluster/paged-list.js';
import { POD_FIELDS } from '../../src/cluster/record-fields.js';
import { readScope } from '../../src/cluster/read-scope.js';
import { podRecord } from '../../src/cluster/records.js';
import type { ClusterSource } from '../../src/cluster/source.js';
import { startTestCluster, type TestCluster } from '../cluster/server.js';
import { pageOf } from '../cluster/pagination.js';

const PODS = 120;
const PAGE = 10;
const ALL = { namespace: null, labelSelector: null };

let cluster: TestCluster;
let expected: string[];
beforeAll(async () => {
  cluster = await startTestCluster({ synthetic: { pods: PODS, namespaces: 4 } });
  expected = cluster.store
    .list('Pod')
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
    .sort();
});
afterAll(async () => {
  await cluster?.close();
});
beforeEach(() => {
  cluster.faults.clear();
  cluster.clearRequests();
});

async function open(pageSize = PAGE): Promise<LiveSource> {
  return LiveSource.open({ kubeconfig: cluster.kubeconfigPath, requestTimeoutMs: 10_000, pageSize });
}

/** The pod list requests the server received, as page numbers (1: no continue token). */
const podPages = () => cluster.requests.filter((r) => r.resource === 'pods' && r.verb === 'list').map((r) => pageOf(r.query.continue ?? null) ?? 0);

async function listAll(source: LiveSource, onBatch?: (seen: number) => Promise<void>): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of source.listPages('Pod', null, {}, podRecord, { projection: POD_FIELDS })) {
    for (const p of batch) keys.push(`${p.namespace}/${p.name}`);
    await onBatch?.(keys.length);
  }
  return keys;
}

describe('paged lists with the next page requested ahead', () => {
  it('yields every pod once, equal to the records of the whole objects', async () => {
    const source = await open();
    const records = [];
    for await (const batch of source.listPages('Pod', null, {}, podRecord, { projection: POD_FIELDS })) records.push(...batch);
    await source.close();
    expect(records.map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(expected);
    const whole = new Map(cluster.store.list('Pod').map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, podRecord(p)]));
    for (const r of records) expect(r).toEqual(whole.get(`${r.namespace}/${r.name}`));
    expect(podPages()).toEqual(Array.from({ length: PODS / PAGE }, (_, i) => i + 1));
  });

  it('requests the next page while the current one is read, never two pages ahead', async () => {
    const source = await open();
    const checks: { page: number; sent: number[] }[] = [];
    await listAll(source, async (seen) => {
      // The reader is slow: every request the client has sent by now has reached the server.
      await sleep(40);
      const page = Math.ceil(seen / PAGE); // the page the reader is in
      checks.push({ page, sent: podPages() });
    });
    await source.close();
    expect(checks.length).toBeGreaterThanOrEqual(PODS / PAGE);
    for (const { page, sent } of checks) {
      const last = PODS / PAGE;
      // The page after the one being read is already requested (prefetch) ...
      expect(Math.max(...sent), `reading page ${page}`).toBe(Math.min(page + 1, last));
      // ... and nothing beyond it.
      expect(sent.filter((p) => p > page + 1), `reading page ${page}`).toEqual([]);
    }
  });

  it.each([
    ['the page being read, cut mid-response', { page: 1, resetConnection: true, times: 1 }],
    ['a page fetched ahead, cut mid-response', { page: 2, resetConnection: true, times: 1 }],
    ['a later page, cut mid-response twice', { page: 7, resetConnection: true, times: 2 }],
    ['a page answered 500 then 429', { page: 5, status: 500, times: 1 }],
  ] as const)('a retry of %s yields no pod twice and misses none', async (_name, rule) => {
    const handle = cluster.faults.add({ resource: 'pods', verb: 'list', ...rule });
    const source = await open();
    const keys = await listAll(source);
    await source.close();
    expect(handle.hits).toBe(rule.times);
    expect(keys).toHaveLength(new Set(keys).size);
    expect(keys.sort()).toEqual(expected);
  });

  it.each([3, 2])('an expired continue token on page %i restarts the list: no pod twice, none missed', async (page) => {
    const handle = cluster.faults.add({ resource: 'pods', verb: 'list', page, status: 410, times: 1 });
    const source = await open();
    const keys = await listAll(source, () => sleep(1));
    await source.close();
    expect(handle.hits).toBe(1);
    expect(keys).toHaveLength(new Set(keys).size);
    expect(keys.sort()).toEqual(expected);
    // Restarted from the first page after the 410.
    const pages = podPages();
    expect(pages.filter((p) => p === 1)).toHaveLength(2);
  });

  it('paced: the next page is requested only once the current one has been read and paced() has resolved', async () => {
    const source = await open();
    const requestedAtCall: number[] = [];
    const paced = async () => {
      requestedAtCall.push(podPages().length);
      await sleep(20);
      return true;
    };
    const keys: string[] = [];
    for await (const batch of source.listPages('Pod', null, {}, podRecord, { projection: POD_FIELDS, paced })) keys.push(...batch.map((p) => `${p.namespace}/${p.name}`));
    await source.close();
    expect(keys.sort()).toEqual(expected);
    expect(podPages()).toEqual(Array.from({ length: PODS / PAGE }, (_, i) => i + 1));
    // Once between two pages, each time with no page requested ahead (none left unread meanwhile).
    expect(requestedAtCall).toEqual(Array.from({ length: PODS / PAGE - 1 }, (_, i) => i + 1));
  });

  it('paced() resolving false stops the list there', async () => {
    const source = await open();
    const keys: string[] = [];
    for await (const batch of source.listPages('Pod', null, {}, podRecord, { projection: POD_FIELDS, paced: async () => false })) keys.push(...batch.map((p) => `${p.namespace}/${p.name}`));
    await source.close();
    expect(keys).toHaveLength(PAGE);
    expect(podPages()).toEqual([1]);
  });

  it('a reader that stops early leaves no request behind', async () => {
    cluster.faults.add({ resource: 'pods', verb: 'list', latencyMs: 30 });
    const source = await open();
    for await (const batch of source.listPages('Pod', null, {}, podRecord, { projection: POD_FIELDS })) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    await sleep(200);
    await source.close();
    // The page read and at most the one requested ahead (dropped, perhaps before it reached the server).
    expect(podPages().filter((p) => p !== 1 && p !== 2)).toEqual([]);
    expect(podPages()[0]).toBe(1);
  });
});

describe('readScope: the pod list started with loadBase', () => {
  const keysOf = async (pods: AsyncIterable<{ namespace: string; name: string }[]>) => {
    const keys: string[] = [];
    for await (const batch of pods) keys.push(...batch.map((p) => `${p.namespace}/${p.name}`));
    return keys;
  };

  it("asks for the pods before anything else (the server answers what arrives together in turn)", async () => {
    const calls: string[] = [];
    const source = {
      info: () => ({ type: 'snapshot' as const, location: 'fake' }),
      defaultNamespace: () => 'default',
      getPod: async () => null,
      getWorkload: async () => null,
      loadBase: async () => {
        calls.push('loadBase');
        return { namespaces: [], webhookConfigurations: [], configMaps: [], proxyConfigs: [], workloads: [], services: [], gateways: [], authorizationPolicies: [], partial: false, warnings: [] };
      },
      async *pods() {
        calls.push('pods');
        yield [];
      },
    } satisfies ClusterSource;
    const { pods } = await readScope(source, ALL);
    expect(calls).toEqual(['pods', 'loadBase']);
    for await (const batch of pods) expect(batch).toEqual([]);
  });

  it('pods arrive while the start-up reads are still on their way, and no page is requested twice', async () => {
    cluster.faults.add({ resource: 'namespaces', latencyMs: 400 });
    const source = await open(20);
    const read = readScope(source, ALL);
    await sleep(250);
    expect(podPages()).toEqual([1, 2, 3, 4, 5, 6]); // every page, while the namespaces are still delayed
    const { pods } = await read;
    const keys = await keysOf(pods);
    await source.close();
    expect(keys.sort()).toEqual(expected);
    expect(podPages()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('holds at most its bound of early pods: then one page in flight ahead, no more, until the audit reads them', async () => {
    cluster.faults.add({ resource: 'namespaces', latencyMs: 400 });
    const source = await open(10);
    const read = readScope(source, ALL, { earlyPods: 25 });
    await sleep(250);
    // Pages 1-3 read (30 pods, over the bound of 25), page 4 requested ahead, nothing beyond it.
    expect(podPages()).toEqual([1, 2, 3, 4]);
    const { pods } = await read;
    const keys = await keysOf(pods);
    await source.close();
    expect(keys).toHaveLength(new Set(keys).size);
    expect(keys.sort()).toEqual(expected);
    expect(podPages()).toEqual(Array.from({ length: PODS / 10 }, (_, i) => i + 1));
  });

  it('a pod list forbidden cluster-wide falls back to namespace by namespace', async () => {
    const lift = cluster.forbid({ namespace: 'team-0001', resource: 'pods' });
    try {
      const source = await open(7);
      const { pods } = await readScope(source, ALL);
      const keys = await keysOf(pods);
      await source.close();
      expect(keys).toHaveLength(new Set(keys).size);
      expect(keys.sort()).toEqual(expected.filter((k) => !k.startsWith('team-0001/')));
      expect(source.podWarnings.join('\n')).toMatch(/cannot list pods in 1 namespace\(s\) \(forbidden\): team-0001/);
    } finally {
      lift();
    }
  });

  it("loadBase's failure wins, and the pod list stops", async () => {
    cluster.faults.add({ resource: 'pods', verb: 'list', latencyMs: 100 });
    const source = await open(10);
    await expect(readScope(source, { namespace: 'nope', labelSelector: null })).rejects.toThrow('namespace "nope" not found');
    await sleep(300);
    await source.close();
    expect(podPages()).toEqual([1]); // the first page was on its way; nothing followed it
  });

  it("the pod list's failure reaches the reader after the pods before it", async () => {
    cluster.faults.add({ resource: 'pods', verb: 'list', page: 3, status: 400, times: 99 });
    const source = await open(10);
    const { pods } = await readScope(source, ALL);
    const keys: string[] = [];
    await expect(
      (async () => {
        for await (const batch of pods) keys.push(...batch.map((p) => `${p.namespace}/${p.name}`));
      })(),
    ).rejects.toMatchObject({ status: 400 });
    await source.close();
    expect(keys).toHaveLength(20);
  });
});

describe('chunks read ahead and I/O', () => {
  /** Batches of one page of all the pods (about 700 KB, so several chunks read ahead), each with the turns of the event loop run before it. */
  async function turnsPerBatch(chunksPerTurn: number | undefined): Promise<number[]> {
    const client = await ApiClient.create(loadKubeconfig({ kubeconfig: cluster.kubeconfigPath }), { timeoutMs: 10_000 });
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    const parseItem = (json: string) => ({ key: String(JSON.parse(json).metadata.name), value: 1 });
    const seen: number[] = [];
    try {
      // The response is all there before parsing starts: the chunks are read ahead, none waits for the network.
      const list = new PagedList(client, { path: '/api/v1/pods', query: {}, pageSize: 0, parseItem, ...(chunksPerTurn !== undefined ? { chunksPerTurn } : {}) });
      const iterator = list[Symbol.asyncIterator]();
      const first = await iterator.next();
      await sleep(100);
      setImmediate(tick);
      if (!first.done) seen.push(turns);
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) seen.push(turns);
    } finally {
      ticking = false;
      client.close();
    }
    return seen;
  }

  it('a paged list lets other I/O in after as many chunks read ahead as it asks (4 by default)', async () => {
    const one = await turnsPerBatch(1);
    const four = await turnsPerBatch(undefined);
    // Every chunk holds pods: one batch a chunk. With 1, a turn of the loop between any two chunks; with 4, between every fourth.
    expect(one.length).toBeGreaterThan(8);
    const advances = (seen: number[]) => seen.slice(1).filter((t, i) => t > seen[i]!).length;
    expect(advances(one)).toBeGreaterThanOrEqual(one.length - 2);
    expect(advances(four)).toBeLessThanOrEqual(Math.ceil(four.length / 4) + 1);
  });
});

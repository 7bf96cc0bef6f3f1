import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from './fixtures.js';
import { json, rawRequest } from './raw-request.js';
import { startTestCluster, type TestCluster } from './server.js';
import { humanDuration, tableCells, wantsTable } from './tables.js';

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('table printing', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-5000, '<invalid>'],
    [119_000, '119s'],
    [200_000, '3m20s'],
    [300_000, '5m'],
    [3 * 3600_000, '3h'],
    [5 * 3600_000 + 10 * 60_000, '5h10m'],
    [30 * 3600_000, '30h'],
    [(3 * 24 + 21) * 3600_000, '3d21h'],
    [114 * 24 * 3600_000, '114d'],
    [(2 * 365 + 30) * 24 * 3600_000, '2y30d'],
    [9 * 365 * 24 * 3600_000, '9y'],
  ])('humanDuration(%d) = %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('derives pod cells as printPod does', () => {
    const now = Date.parse('2024-01-02T00:00:00Z');
    const pod = {
      metadata: { name: 'p', creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'node-1' },
      status: {
        phase: 'Running',
        podIP: '10.0.0.1',
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 2, state: { running: {} } },
          { name: 'b', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
    };
    expect(tableCells('Pod', pod, now)).toEqual(['p', '1/2', 'CrashLoopBackOff', '3', '24h', '10.0.0.1', 'node-1', '<none>', '<none>']);
    expect(tableCells('ProxyConfig', { metadata: { name: 'x' } }, now)).toEqual(['x', '<unknown>']);
  });

  it('recognises the Accept header kubectl get sends', () => {
    expect(wantsTable(TABLE_ACCEPT)).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });
});

describe('Table responses', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ objects: smallCluster() });
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('lists as a Table with PartialObjectMetadata rows and paging metadata', async () => {
    const table = json(await rawRequest(cluster, '/api/v1/pods?limit=2', { headers: { Accept: TABLE_ACCEPT } })) as {
      kind: string;
      metadata: { continue?: string };
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[]; object: { kind: string; metadata: { namespace: string } } }[];
    };
    expect(table.kind).toBe('Table');
    expect(table.metadata.continue).toBeTruthy();
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    expect(table.rows).toHaveLength(2);
    expect(table.rows[0]?.object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { namespace: 'demo', name: 'db-1' } });
  });

  it('embeds whole objects or none as includeObject asks', async () => {
    const get = (include: string) =>
      rawRequest(cluster, `/apis/apps/v1/namespaces/demo/deployments/web?includeObject=${include}`, { headers: { Accept: TABLE_ACCEPT } }).then(json);
    const withObject = (await get('Object')) as { rows: { object: { kind: string; spec: object } }[] };
    expect(withObject.rows[0]?.object).toMatchObject({ kind: 'Deployment', spec: { replicas: 1 } });
    const bare = (await get('None')) as { rows: object[] };
    expect(bare.rows[0]).not.toHaveProperty('object');
  });
});

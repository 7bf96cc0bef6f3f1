// Fault injection: error statuses, latency, broken connections, seeded random failures, expired tokens.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from './fixtures.js';
import { json, rawRequest } from './raw-request.js';
import { startTestCluster, type TestCluster } from './server.js';

describe('fault injection', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ objects: smallCluster() });
  });
  afterAll(async () => {
    await cluster.close();
  });
  afterEach(() => {
    cluster.faults.clear();
  });

  it('answers 429 with Retry-After for the given number of times', async () => {
    const rule = cluster.faults.add({ verb: 'list', resource: 'pods', status: 429, times: 2 });
    const first = await rawRequest(cluster, '/api/v1/pods');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    expect(json(first)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'TooManyRequests', details: { retryAfterSeconds: 1 }, code: 429 });
    expect((await rawRequest(cluster, '/api/v1/pods')).status).toBe(429);
    expect((await rawRequest(cluster, '/api/v1/pods')).status).toBe(200);
    expect((await rawRequest(cluster, '/api/v1/namespaces')).status).toBe(200);
    expect(rule.hits).toBe(2);
  });

  it('answers 500 InternalError to requests matching method and path', async () => {
    const rule = cluster.faults.add({ method: 'patch', path: /\/namespaces\/demo$/, status: 500 });
    const patch = () => rawRequest(cluster, '/api/v1/namespaces/demo', { method: 'PATCH', body: {}, contentType: 'application/merge-patch+json' });
    const failed = await patch();
    expect(failed.status).toBe(500);
    expect(json(failed)).toMatchObject({ reason: 'InternalError', code: 500 });
    expect((await rawRequest(cluster, '/api/v1/namespaces/demo')).status).toBe(200);
    rule.remove();
    expect((await patch()).status).toBe(200);
  });

  it('delays requests', async () => {
    cluster.faults.add({ path: '^/api/v1/namespaces$', latencyMs: 150 });
    const started = Date.now();
    expect((await rawRequest(cluster, '/api/v1/namespaces')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('cuts the connection in the middle of a list', async () => {
    cluster.faults.add({ verb: 'list', resource: 'pods', resetConnection: true, times: 1 });
    await expect(rawRequest(cluster, '/api/v1/pods')).rejects.toThrow();
    const whole = await rawRequest(cluster, '/api/v1/pods');
    expect((json(whole).items as unknown[]).length).toBe(5);
  });

  it('cuts a watch right after its headers', async () => {
    cluster.faults.add({ verb: 'watch', resetConnection: true });
    await expect(rawRequest(cluster, '/api/v1/pods?watch=true')).rejects.toThrow();
  });

  it('fails a seeded, repeatable share of requests', async () => {
    const outcomes = async () => {
      cluster.faults.clear();
      cluster.faults.reseed(42);
      cluster.faults.add({ verb: 'get', resource: 'namespaces', status: 500, probability: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await rawRequest(cluster, '/api/v1/namespaces/demo')).status);
      return statuses;
    };
    const first = await outcomes();
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(3);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(3);
    expect(await outcomes()).toEqual(first);
  });

  it('expires the continue token of a chosen page', async () => {
    cluster.faults.add({ verb: 'list', page: 3, status: 410 });
    const page1 = json(await rawRequest(cluster, '/api/v1/pods?limit=2')) as { metadata: { continue: string } };
    const page2 = json(await rawRequest(cluster, `/api/v1/pods?limit=2&continue=${encodeURIComponent(page1.metadata.continue)}`)) as { metadata: { continue: string } };
    const page3 = await rawRequest(cluster, `/api/v1/pods?limit=2&continue=${encodeURIComponent(page2.metadata.continue)}`);
    expect(page3.status).toBe(410);
    expect(json(page3)).toMatchObject({
      reason: 'Expired',
      code: 410,
      message: expect.stringContaining('The provided continue parameter is too old to display a consistent list result.'),
    });
  });

  it('sends a 410 fault on a watch as an ERROR event', async () => {
    cluster.faults.add({ verb: 'watch', status: 410 });
    const response = await rawRequest(cluster, '/api/v1/pods?watch=1&resourceVersion=1');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('takes fault rules at start', async () => {
    const faulty = await startTestCluster({ faults: [{ path: '^/version$', status: 503 }] });
    try {
      expect(json(await rawRequest(faulty, '/version'))).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
    } finally {
      await faulty.close();
    }
  });
});

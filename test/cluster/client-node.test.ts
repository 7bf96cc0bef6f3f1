// @kubernetes/client-node against the test cluster: paging, conflicts, expiry, patches and watches.
import { AppsV1Api, CoreV1Api, KubeConfig, makeInformer, PatchStrategy, setHeaderOptions, Watch, type ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from './fixtures.js';
import { startTestCluster, type TestCluster } from './server.js';

function clients(cluster: TestCluster) {
  const config = new KubeConfig();
  config.loadFromString(cluster.kubeconfig());
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

/**
 * The error a client call fails with: client-node throws ApiException with the Status body as text
 * (no body for 401, whose response the generated client does not read).
 */
async function failure(call: Promise<unknown>): Promise<{ code: number; status?: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await call;
  } catch (err) {
    const apiError = err as ApiException<string | undefined>;
    const status = apiError.body === undefined ? undefined : (JSON.parse(apiError.body) as Record<string, unknown>);
    return { code: apiError.code, status, headers: apiError.headers };
  }
  throw new Error('the call succeeded');
}

describe('client-node against the test cluster', () => {
  let cluster: TestCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let config: KubeConfig;

  beforeAll(async () => {
    cluster = await startTestCluster({ objects: smallCluster() });
    ({ core, apps, config } = clients(cluster));
  });
  afterAll(async () => {
    await cluster.close();
  });
  afterEach(() => {
    cluster.faults.clear();
  });

  it('lists pods page by page with limit and continue', async () => {
    const names: string[] = [];
    const versions = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 2, _continue: token });
      names.push(...page.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
      versions.add(page.metadata?.resourceVersion ?? '');
      token = page.metadata?._continue;
      if (token) expect(page.metadata?.remainingItemCount).toBe(5 - names.length);
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual(['demo/db-1', 'demo/web-1', 'demo/web-2', 'other/batch-1', 'other/batch-2']);
    expect(versions.size).toBe(1);
  });

  it('lists one namespace with label and field selectors', async () => {
    const web = await core.listNamespacedPod({ namespace: 'demo', labelSelector: 'app in (web, batch),!canary' });
    expect(web.items.map((p) => p.metadata?.name)).toEqual(['web-1', 'web-2']);
    const notDemo = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.namespace!=demo' });
    expect(notDemo.items.map((p) => p.metadata?.name)).toEqual(['batch-1', 'batch-2']);
    const bad = await failure(core.listPodForAllNamespaces({ fieldSelector: 'spec.containers=x' }));
    expect(bad.code).toBe(400);
    expect(bad.status?.message).toBe('field label not supported: spec.containers');
  });

  it('answers 410 Expired for a continue token at an injected page, and after compaction', async () => {
    const first = await core.listPodForAllNamespaces({ limit: 2 });
    const token = first.metadata?._continue;
    cluster.faults.add({ verb: 'list', resource: 'pods', page: 2, status: 410, times: 1 });
    const expired = await failure(core.listPodForAllNamespaces({ limit: 2, _continue: token }));
    expect(expired.code).toBe(410);
    expect(expired.status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    // The fault fired once; the token works again, until the store is compacted.
    expect((await core.listPodForAllNamespaces({ limit: 2, _continue: token })).items).toHaveLength(2);
    cluster.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: 'demo' } });
    cluster.store.compact();
    expect((await failure(core.listPodForAllNamespaces({ limit: 2, _continue: token }))).status?.reason).toBe('Expired');
  });

  it('creates with server-set metadata and refuses duplicates', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'fresh' }, data: { a: '1' } } });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.metadata?.resourceVersion).toBe(String(cluster.store.revision));
    expect(created.metadata?.managedFields?.[0]?.time).toBeInstanceOf(Date);
    const again = await failure(core.createNamespacedConfigMap({ namespace: 'demo', body: { metadata: { name: 'fresh' } } }));
    expect(again).toMatchObject({ code: 409, status: { reason: 'AlreadyExists', message: 'configmaps "fresh" already exists', details: { name: 'fresh', kind: 'configmaps' } } });
    const nowhere = await failure(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }));
    expect(nowhere).toMatchObject({ code: 404, status: { reason: 'NotFound', message: 'namespaces "nowhere" not found' } });
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const current = await core.readNamespacedConfigMap({ name: 'settings', namespace: 'demo' });
    const updated = await core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'demo', body: { ...current, data: { mode: 'b' } } });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(current.metadata?.resourceVersion));
    const stale = await failure(core.replaceNamespacedConfigMap({ name: 'settings', namespace: 'demo', body: { ...current, data: { mode: 'c' } } }));
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({ reason: 'Conflict', details: { name: 'settings', kind: 'configmaps' } });
    expect(cluster.store.get('ConfigMap', 'demo', 'settings')?.data).toEqual({ mode: 'b' });
  });

  it('applies merge, strategic merge and JSON patches', async () => {
    const patch = (type: string, body: object) =>
      apps.patchNamespacedDeployment({ name: 'web', namespace: 'demo', body }, setHeaderOptions('Content-Type', type));
    await patch(PatchStrategy.MergePatch, { metadata: { labels: { tier: 'front' } } });
    const restarted = await patch(PatchStrategy.StrategicMergePatch, {
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } },
    });
    expect(restarted.spec?.template.spec?.containers).toEqual([{ name: 'app', image: 'nginx:1.28' }]);
    expect(restarted.metadata?.generation).toBe(2);
    const patched = await patch(PatchStrategy.JsonPatch, [
      { op: 'test', path: '/metadata/labels/tier', value: 'front' },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'remove', path: '/metadata/labels/tier' },
    ]);
    expect(patched.spec?.replicas).toBe(3);
    expect(patched.metadata?.labels).toBeUndefined();
    expect(patched.metadata?.generation).toBe(3);
    expect(patched.status).toEqual({ replicas: 1, readyReplicas: 1 });
    const failed = await failure(patch(PatchStrategy.JsonPatch, [{ op: 'test', path: '/spec/replicas', value: 1 }]));
    expect(failed.code).toBe(422);
  });

  it('streams watch events from a resourceVersion', async () => {
    const list = await core.listNamespacedPod({ namespace: 'other' });
    const events: string[] = [];
    const watch = new Watch(config);
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const controller = await watch.watch(
      '/api/v1/namespaces/other/pods',
      { resourceVersion: list.metadata?.resourceVersion },
      (type, object: { metadata: { name: string } }) => events.push(`${type} ${object.metadata.name}`),
      () => ended(),
    );
    await core.createNamespacedPod({ namespace: 'other', body: { metadata: { name: 'batch-3' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    await core.patchNamespacedPod(
      { name: 'batch-3', namespace: 'other', body: { metadata: { labels: { done: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedPod({ name: 'batch-3', namespace: 'other' });
    cluster.store.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'elsewhere', namespace: 'demo' } });
    await expect.poll(() => events, { timeout: 5000 }).toEqual(['ADDED batch-3', 'MODIFIED batch-3', 'DELETED batch-3']);
    controller.abort();
    await done;
  });

  it('starts a watch without resourceVersion with the current objects, and ends it after timeoutSeconds', async () => {
    const events: string[] = [];
    let ended!: (err: unknown) => void;
    const done = new Promise<unknown>((resolve) => (ended = resolve));
    await new Watch(config).watch(
      '/api/v1/namespaces',
      { timeoutSeconds: 1 },
      (type, object: { metadata: { name: string } }) => events.push(`${type} ${object.metadata.name}`),
      (err) => ended(err),
    );
    expect(await done).toBeNull();
    expect(events).toEqual(['ADDED demo', 'ADDED other']);
  });

  it('feeds an informer, which relists after a 410', async () => {
    const informer = makeInformer<V1ConfigMap>(config, '/api/v1/namespaces/demo/configmaps', () => core.listNamespacedConfigMap({ namespace: 'demo' }));
    const added: string[] = [];
    informer.on('add', (cm) => added.push(cm.metadata?.name ?? ''));
    await informer.start();
    try {
      const initial = informer.list().length;
      expect(initial).toBeGreaterThan(0);
      cluster.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'informed', namespace: 'demo' } });
      await expect.poll(() => added).toContain('informed');
      // Expire the informer's resourceVersion and end its watch: it watches again, gets 410, lists again.
      cluster.store.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unrelated', namespace: 'other' } });
      cluster.store.compact();
      cluster.closeWatches();
      cluster.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'informed-2', namespace: 'demo' } });
      await expect.poll(() => informer.get('informed-2', 'demo')?.metadata?.name, { timeout: 10_000 }).toBe('informed-2');
      expect(informer.list()).toHaveLength(initial + 2);
      const lists = cluster.requests.filter((r) => r.verb === 'list' && r.resource === 'configmaps' && r.namespace === 'demo');
      expect(lists.length).toBeGreaterThanOrEqual(2);
    } finally {
      await informer.stop();
    }
  });

  it('sends a 410 ERROR event to a watch from a compacted resourceVersion', async () => {
    const old = String(cluster.store.revision);
    cluster.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bump', namespace: 'demo' } });
    cluster.store.compact();
    const events: { type: string; object: Record<string, unknown> }[] = [];
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    await new Watch(config).watch('/api/v1/configmaps', { resourceVersion: old }, (type, object) => events.push({ type, object }), () => ended());
    await done;
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
  });
});

describe('client-node over HTTPS with a token', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ tls: true, token: 's3cret', objects: smallCluster() });
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('verifies the server against the kubeconfig CA and authenticates', async () => {
    const { core } = clients(cluster);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(['demo', 'other']);
  });

  it('answers 401 Unauthorized to a wrong token', async () => {
    const config = new KubeConfig();
    config.loadFromString(cluster.kubeconfig().replace('token: s3cret', 'token: nope'));
    const refused = await failure(config.makeApiClient(CoreV1Api).listNamespace());
    expect(refused.code).toBe(401);
  });
});

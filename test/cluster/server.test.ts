// The test cluster's HTTP surface: discovery, Status errors, authentication, deny rules, writes.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pod, smallCluster } from './fixtures.js';
import { json, rawRequest } from './raw-request.js';
import { startTestCluster, type TestCluster } from './server.js';

describe('test cluster over HTTP', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ objects: [...smallCluster(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'demo' } }] });
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('skips initial objects of kinds it does not serve', () => {
    expect(cluster.skippedKinds).toEqual(['Secret']);
  });

  it('serves version and legacy discovery', async () => {
    expect(json(await rawRequest(cluster, '/version'))).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.4' });
    expect(json(await rawRequest(cluster, '/api'))).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = json(await rawRequest(cluster, '/apis')) as { kind: string; groups: { name: string; preferredVersion: { groupVersion: string } }[] };
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.map((g) => g.preferredVersion.groupVersion)).toEqual([
      'admissionregistration.k8s.io/v1',
      'apps/v1',
      'batch/v1',
      'networking.istio.io/v1beta1',
      'gateway.networking.k8s.io/v1',
      'security.istio.io/v1',
    ]);
    const core = json(await rawRequest(cluster, '/api/v1')) as { resources: { name: string; shortNames?: string[]; namespaced: boolean }[] };
    expect(core.resources.map((r) => `${r.name}:${r.shortNames?.join('/') ?? ''}:${r.namespaced}`)).toEqual([
      'namespaces:ns:false',
      'namespaces/status::false',
      'pods:po:true',
      'pods/status::true',
      'configmaps:cm:true',
      'services:svc:true',
      'services/status::true',
    ]);
    const apps = json(await rawRequest(cluster, '/apis/apps/v1')) as { groupVersion: string; resources: { name: string; shortNames?: string[] }[] };
    expect(apps.groupVersion).toBe('apps/v1');
    expect(apps.resources.filter((r) => !r.name.includes('/')).map((r) => r.shortNames)).toEqual([['deploy'], ['sts'], ['ds'], ['rs']]);
    expect(json(await rawRequest(cluster, '/apis/batch'))).toMatchObject({ kind: 'APIGroup', name: 'batch' });
    const istio = json(await rawRequest(cluster, '/apis/networking.istio.io/v1beta1')) as { resources: object[] };
    expect(istio.resources).toEqual([
      expect.objectContaining({ name: 'proxyconfigs', singularName: 'proxyconfig', namespaced: true, kind: 'ProxyConfig' }),
    ]);
    expect((await rawRequest(cluster, '/openapi/v3')).status).toBe(404);
    expect((await rawRequest(cluster, '/apis/nothing.example.com/v1')).status).toBe(404);
  });

  it('answers unknown resources and wrong scopes with 404 Status', async () => {
    for (const path of ['/api/v1/secrets', '/api/v1/pods/web-1', '/apis/admissionregistration.k8s.io/v1/namespaces/demo/mutatingwebhookconfigurations']) {
      const response = await rawRequest(cluster, path);
      expect(response.status).toBe(404);
      expect(json(response)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    }
  });

  it('sends a full Status for NotFound', async () => {
    const response = await rawRequest(cluster, '/apis/apps/v1/namespaces/demo/deployments/nope');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/json');
    expect(json(response)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
  });

  it('lists built-in items without kind/apiVersion and custom resources with them', async () => {
    cluster.store.put({ apiVersion: 'networking.istio.io/v1beta1', kind: 'ProxyConfig', metadata: { name: 'pc', namespace: 'demo' }, spec: {} });
    const pods = json(await rawRequest(cluster, '/api/v1/namespaces/other/pods')) as { kind: string; apiVersion: string; items: object[] };
    expect(pods).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
    expect(pods.items[0]).not.toHaveProperty('kind');
    const configs = json(await rawRequest(cluster, '/apis/networking.istio.io/v1beta1/proxyconfigs')) as { items: object[] };
    expect(configs.items[0]).toMatchObject({ kind: 'ProxyConfig', apiVersion: 'networking.istio.io/v1beta1' });
  });

  it('rejects malformed selectors and continue tokens with 400', async () => {
    const badSelector = await rawRequest(cluster, '/api/v1/pods?labelSelector=' + encodeURIComponent('app in (a'));
    expect(badSelector.status).toBe(400);
    expect(json(badSelector).reason).toBe('BadRequest');
    const badToken = await rawRequest(cluster, '/api/v1/pods?limit=1&continue=garbage');
    expect(badToken.status).toBe(400);
  });

  it('forbids by namespace, resource and verb, as RBAC would', async () => {
    const lift = cluster.forbid({ namespace: 'other', verb: 'list' });
    try {
      const inOther = await rawRequest(cluster, '/api/v1/namespaces/other/pods');
      expect(inOther.status).toBe(403);
      expect(json(inOther)).toMatchObject({
        reason: 'Forbidden',
        message: 'pods is forbidden: User "system:serviceaccount:default:kubectl-inject-test" cannot list resource "pods" in API group "" in the namespace "other"',
        details: { kind: 'pods' },
        code: 403,
      });
      const clusterWide = await rawRequest(cluster, '/apis/apps/v1/deployments');
      expect(json(clusterWide).message).toContain('cannot list resource "deployments" in API group "apps" at the cluster scope');
      expect((await rawRequest(cluster, '/api/v1/namespaces/demo/pods')).status).toBe(200);
      expect((await rawRequest(cluster, '/api/v1/namespaces/other/pods/batch-1')).status).toBe(200);
      expect((await rawRequest(cluster, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations')).status).toBe(200);
    } finally {
      lift();
    }
    expect((await rawRequest(cluster, '/api/v1/namespaces/other/pods')).status).toBe(200);
  });

  it('keeps status on main-resource writes and changes only status through /status', async () => {
    const path = '/apis/apps/v1/namespaces/demo/deployments/web';
    const current = json(await rawRequest(cluster, path));
    const put = await rawRequest(cluster, path, { method: 'PUT', body: { ...current, status: { replicas: 9 } } });
    expect(json(put).status).toEqual({ replicas: 1, readyReplicas: 1 });
    const patched = await rawRequest(cluster, `${path}/status`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { status: { readyReplicas: 0 }, spec: { replicas: 5 } },
    });
    expect(json(patched)).toMatchObject({ spec: { replicas: 1 }, status: { replicas: 1, readyReplicas: 0 } });
  });

  it('honours dryRun=All', async () => {
    const created = await rawRequest(cluster, '/api/v1/namespaces/demo/pods?dryRun=All', { method: 'POST', body: pod('demo', 'dry') });
    expect(created.status).toBe(201);
    expect(cluster.store.get('Pod', 'demo', 'dry')).toBeUndefined();
  });

  it('generates names, refuses bad create bodies and unknown patch types', async () => {
    const named = await rawRequest(cluster, '/api/v1/namespaces/demo/configmaps', { method: 'POST', body: { metadata: { generateName: 'gen-' } } });
    expect((json(named).metadata as { name: string }).name).toMatch(/^gen-[0-9a-f]{5}$/);
    const wrongNamespace = await rawRequest(cluster, '/api/v1/namespaces/demo/configmaps', { method: 'POST', body: { metadata: { name: 'x', namespace: 'other' } } });
    expect(wrongNamespace.status).toBe(400);
    const protobuf = await rawRequest(cluster, '/api/v1/namespaces', { method: 'POST', body: 'k8s\0', contentType: 'application/vnd.kubernetes.protobuf' });
    expect(json(protobuf)).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
    const applyPatch = await rawRequest(cluster, '/api/v1/namespaces/demo', { method: 'PATCH', body: '{}', contentType: 'application/apply-patch+yaml' });
    expect(applyPatch.status).toBe(415);
    const strategicOnCustom = await rawRequest(cluster, '/apis/networking.istio.io/v1beta1/namespaces/demo/proxyconfigs/pc', {
      method: 'PATCH',
      body: {},
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(strategicOnCustom.status).toBe(415);
  });

  it('deletes a namespace with everything in it', async () => {
    cluster.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    cluster.store.put(pod('doomed', 'p'));
    const deleted = await rawRequest(cluster, '/api/v1/namespaces/doomed', { method: 'DELETE' });
    expect(json(deleted)).toMatchObject({ kind: 'Namespace', metadata: { name: 'doomed' } });
    expect(cluster.store.list('Pod', 'doomed')).toEqual([]);
    const again = await rawRequest(cluster, '/api/v1/namespaces/doomed', { method: 'DELETE' });
    expect(again.status).toBe(404);
  });

  it('answers a delete of most kinds with a Success Status, and checks preconditions', async () => {
    const path = '/api/v1/namespaces/demo/configmaps/settings';
    const stale = await rawRequest(cluster, path, { method: 'DELETE', body: { preconditions: { resourceVersion: '1' } } });
    expect(stale.status).toBe(409);
    const deleted = await rawRequest(cluster, path, { method: 'DELETE' });
    expect(json(deleted)).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'settings', kind: 'configmaps' } });
  });

  it('logs every request with its Kubernetes verb', async () => {
    cluster.clearRequests();
    await rawRequest(cluster, '/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb');
    await rawRequest(cluster, '/api/v1/pods?watch=1&timeoutSeconds=1');
    await rawRequest(cluster, '/api/v1/namespaces/demo', { method: 'PATCH', body: {}, contentType: 'application/merge-patch+json' });
    expect(cluster.requests.map(({ method, path, query, verb }) => ({ method, path, query, verb }))).toEqual([
      { method: 'GET', path: '/api/v1/namespaces/demo/pods', query: { labelSelector: 'app=web' }, verb: 'list' },
      { method: 'GET', path: '/api/v1/pods', query: { watch: '1', timeoutSeconds: '1' }, verb: 'watch' },
      { method: 'PATCH', path: '/api/v1/namespaces/demo', query: {}, verb: 'patch' },
    ]);
    expect(cluster.requests[2]).toMatchObject({ resource: 'namespaces', namespace: 'demo', name: 'demo', status: 200 });
  });

  it('writes kubeconfigs with a chosen context and namespace', () => {
    const path = `${cluster.kubeconfigPath}-ns`;
    cluster.writeKubeconfig(path, { context: 'ctx', namespace: 'demo' });
    const config = yaml.load(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      'current-context': 'ctx',
      contexts: [{ name: 'ctx', context: { cluster: 'ctx', user: 'ctx', namespace: 'demo' } }],
      clusters: [{ name: 'ctx', cluster: { server: cluster.url } }],
    });
  });
});

describe('test cluster over HTTPS with a token', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ tls: true, token: 'tok' });
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('serves a certificate for 127.0.0.1 signed by the kubeconfig CA', () => {
    const config = yaml.load(cluster.kubeconfig()) as { clusters: { cluster: Record<string, string> }[] };
    const ca = Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString();
    expect(ca).toBe(cluster.caCert);
    expect(new X509Certificate(ca).ca).toBe(true);
    expect(cluster.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('needs the bearer token, except for public paths', async () => {
    expect((await rawRequest(cluster, '/api/v1/namespaces')).status).toBe(200);
    const anonymous = await rawRequest(cluster, '/api/v1/namespaces', { anonymous: true });
    expect(anonymous.status).toBe(401);
    expect(json(anonymous)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const wrong = await rawRequest(cluster, '/version', { anonymous: true, headers: { Authorization: 'Bearer wrong' } });
    expect(wrong.status).toBe(401);
    expect((await rawRequest(cluster, '/version', { anonymous: true })).status).toBe(200);
    expect((await rawRequest(cluster, '/healthz', { anonymous: true })).body).toBe('ok');
  });
});

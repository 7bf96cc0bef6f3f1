// The real kubectl against the test cluster, over HTTP and over HTTPS with a bearer token.
// (kubectl sends credentials only over TLS, so the HTTP cluster runs without a token.)
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from './fixtures.js';
import { kubectl, kubectlAvailable } from './kubectl.js';
import { startTestCluster, type TestCluster } from './server.js';

if (!kubectlAvailable) console.warn('kubectl is not on PATH: skipping the kubectl tests of the test cluster');

const modes = [
  { name: 'HTTP', options: {} },
  { name: 'HTTPS with a bearer token', options: { tls: true, token: 'test-token-123' } },
];

describe.skipIf(!kubectlAvailable).each(modes)('kubectl over $name', ({ options }) => {
  let cluster: TestCluster;
  const run = (...args: string[]) => kubectl(cluster.kubeconfigPath, args);

  beforeAll(async () => {
    cluster = await startTestCluster({ ...options, objects: smallCluster() });
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('gets pods in all namespaces', async () => {
    const result = await run('get', 'pods', '-A');
    expect(result.stderr).toBe('');
    const rows = result.stdout.trim().split('\n').map((line) => line.split(/\s+/));
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows[1]?.slice(2, 5)).toEqual(['0/1', 'Running', '0']);
    expect(rows.slice(1).map((r) => `${r[0]}/${r[1]}`)).toEqual(['demo/db-1', 'demo/web-1', 'demo/web-2', 'other/batch-1', 'other/batch-2']);
  });

  it('shows namespace labels', async () => {
    const result = await run('get', 'ns', '--show-labels');
    expect(result.stdout).toMatch(/^NAME\s+STATUS\s+AGE\s+LABELS\n/);
    expect(result.stdout).toMatch(/\ndemo\s+Active\s+\S+\s+kubernetes.io\/metadata.name=demo,team=a\n/);
    expect(result.stdout).toMatch(/\nother\s+Active\s+\S+\s+kubernetes.io\/metadata.name=other\n/);
  });

  it('labels a namespace', async () => {
    const result = await run('label', 'ns', 'demo', 'istio-injection=enabled', '--overwrite');
    expect(result.stdout.trim()).toBe('namespace/demo labeled');
    expect(cluster.store.get('Namespace', undefined, 'demo')?.metadata.labels).toEqual({
      team: 'a',
      'kubernetes.io/metadata.name': 'demo',
      'istio-injection': 'enabled',
    });
    const patch = cluster.requests.find((r) => r.method === 'PATCH');
    expect(patch).toMatchObject({ verb: 'patch', resource: 'namespaces', name: 'demo', contentType: 'application/merge-patch+json' });
  });

  it('restarts a deployment', async () => {
    const before = cluster.store.get('Deployment', 'demo', 'web');
    const result = await run('rollout', 'restart', 'deployment/web', '-n', 'demo');
    expect(result.stdout.trim()).toBe('deployment.apps/web restarted');
    const after = cluster.store.get('Deployment', 'demo', 'web');
    expect(after?.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(after?.metadata.generation).toBe(before?.metadata.generation + 1);
    expect(Number(after?.metadata.resourceVersion)).toBeGreaterThan(Number(before?.metadata.resourceVersion));
    expect(after?.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: 'kubectl-rollout', operation: 'Update' }));
  });

  it('gets mutating webhook configurations', async () => {
    const result = await run('get', 'mutatingwebhookconfigurations');
    expect(result.stdout).toMatch(/^NAME\s+WEBHOOKS\s+AGE\nistio-sidecar-injector\s+1\s+\S+\n$/);
  });

  it('pages through pods with --chunk-size', async () => {
    cluster.clearRequests();
    const result = await run('get', 'pods', '-A', '--chunk-size=2');
    const rows = result.stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(0, 2).join(' '));
    expect(rows).toEqual(['NAMESPACE NAME', 'demo db-1', 'demo web-1', 'demo web-2', 'other batch-1', 'other batch-2']);
    const lists = cluster.requests.filter((r) => r.verb === 'list' && r.resource === 'pods');
    expect(lists.map((r) => r.query.limit)).toEqual(['2', '2', '2']);
    expect(lists.filter((r) => r.query.continue)).toHaveLength(2);
  });

  it('applies a manifest twice (create, then patch)', async () => {
    const manifest = (mode: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: demo\ndata:\n  mode: ${mode}\n`;
    expect((await kubectl(cluster.kubeconfigPath, ['apply', '-f', '-'], manifest('a'))).stdout.trim()).toBe('configmap/applied created');
    expect((await kubectl(cluster.kubeconfigPath, ['apply', '-f', '-'], manifest('b'))).stdout.trim()).toBe('configmap/applied configured');
    expect(cluster.store.get('ConfigMap', 'demo', 'applied')?.data).toEqual({ mode: 'b' });
  });

  it('reports NotFound and Forbidden as a real server does', async () => {
    expect((await run('get', 'pod', 'missing', '-n', 'demo')).stderr.trim()).toBe('Error from server (NotFound): pods "missing" not found');
    const lift = cluster.forbid({ namespace: 'other', resource: 'pods' });
    try {
      const result = await run('get', 'pods', '-n', 'other');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('Error from server (Forbidden): pods is forbidden: User');
      expect(result.stderr).toContain('cannot list resource "pods" in API group "" in the namespace "other"');
    } finally {
      lift();
    }
  });

  it('watches pods (kubectl get -w), as names and as a table', async () => {
    const watchStarted = () => cluster.requests.filter((r) => r.verb === 'watch' && r.namespace === 'other').length;
    const names = kubectl(cluster.kubeconfigPath, ['get', 'pods', '-n', 'other', '-w', '--request-timeout=2s', '-o', 'name']);
    const table = kubectl(cluster.kubeconfigPath, ['get', 'pods', '-n', 'other', '-w', '--request-timeout=2s']);
    await expect.poll(watchStarted, { timeout: 10_000 }).toBe(2);
    cluster.store.remove('Pod', 'other', 'batch-2');
    expect((await names).stdout.trim().split('\n')).toEqual(['pod/batch-1', 'pod/batch-2', 'pod/batch-2']);
    const rows = (await table).stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(0, 3));
    expect(rows).toEqual([
      ['NAME', 'READY', 'STATUS'],
      ['batch-1', '0/1', 'Running'],
      ['batch-2', '0/1', 'Running'],
      ['batch-2', '0/1', 'Running'],
    ]);
  });

  it('prints wide tables and label columns like a real server', async () => {
    const wide = await run('get', 'deploy', '-n', 'demo', '-o', 'wide');
    expect(wide.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide.stdout.split('\n')[1]).toMatch(/^web\s+1\/1\s+0\s+0\s+\S+\s+app\s+nginx:1.27\s+app=web$/);
    const labelled = await run('get', 'pods', '-n', 'demo', '-L', 'app');
    expect(labelled.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+APP\ndb-1\s.*\sdb\n/);
  });
});

describe.skipIf(!kubectlAvailable)('kubectl authentication', () => {
  it('is refused without the right token', async () => {
    const cluster = await startTestCluster({ tls: true, token: 'right' });
    try {
      const wrong = cluster.kubeconfig().replace('token: right', 'token: wrong');
      const path = `${cluster.kubeconfigPath}-wrong`; // removed with the cluster's own kubeconfig
      writeFileSync(path, wrong);
      const result = await kubectl(path, ['get', 'ns']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error: You must be logged in to the server');
    } finally {
      await cluster.close();
    }
  });
});

// The test cluster seeded with a synthetic cluster (small N): counts and mix, paging through client-node
// and kubectl against the full list, selectors, and writes to synthetic objects showing up in lists.
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlAvailable } from './kubectl.js';
import { json, rawRequest } from './raw-request.js';
import { startTestCluster, type RawObject, type TestCluster } from './server.js';
import { demoControlPlane, parseSyntheticSpec } from './synthetic.js';

const PODS = 3000;
const NAMESPACES = 60;

const keyOf = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace}/${o.metadata?.name}`;
const labelsOf = (o: RawObject): Record<string, string> => o.metadata?.labels ?? {};

describe('a synthetic test cluster', () => {
  let cluster: TestCluster;
  let core: CoreV1Api;
  /** The full pod list (one request, no limit), as served at the start. */
  let all: RawObject[];

  beforeAll(async () => {
    cluster = await startTestCluster({ synthetic: { pods: PODS, namespaces: NAMESPACES } });
    const config = new KubeConfig();
    config.loadFromString(cluster.kubeconfig());
    core = config.makeApiClient(CoreV1Api);
    all = (json(await rawRequest(cluster, '/api/v1/pods')) as { items: RawObject[] }).items;
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('holds the requested pods and namespaces, their workloads and the demo control plane', () => {
    const { store } = cluster;
    expect(store.count('Pod')).toBe(PODS);
    expect(all).toHaveLength(PODS);
    const namespaces = store.list('Namespace').map((n) => n.metadata.name as string);
    expect(namespaces.filter((n) => n.startsWith('team-'))).toHaveLength(NAMESPACES);
    expect(namespaces).toContain('istio-system');
    expect(store.count('Pod', 'team-0000')).toBe(PODS / NAMESPACES);
    expect(store.count('Deployment')).toBeGreaterThan(0);
    expect(store.count('ReplicaSet')).toBe(store.count('Deployment'));
    expect(store.count('StatefulSet')).toBeGreaterThan(0);
    const controlPlane = demoControlPlane();
    for (const kind of ['MutatingWebhookConfiguration', 'ConfigMap']) {
      expect(store.list(kind).map((o) => o.metadata.name).sort()).toEqual(controlPlane.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort());
    }
    expect(cluster.skippedKinds).toEqual([]);
  });

  it('serves realistic pods: 4-8 KB with managedFields and owners, a mix of injected, missing and stale', () => {
    for (const pod of all.slice(0, 200)) {
      const size = Buffer.byteLength(JSON.stringify(pod));
      expect(size).toBeGreaterThan(4000);
      expect(size).toBeLessThan(8200);
      expect(pod.metadata.managedFields.length).toBeGreaterThan(0);
      expect(pod.metadata.ownerReferences[0]).toMatchObject({ controller: true });
      expect(['ReplicaSet', 'StatefulSet']).toContain(pod.metadata.ownerReferences[0].kind);
      // List items leave kind and apiVersion out, as a real server's do.
      expect(pod.kind).toBeUndefined();
    }
    const injected = all.filter((p) => p.metadata.annotations?.['sidecar.istio.io/status']);
    const images = new Set(injected.map((p) => (p.spec.initContainers as RawObject[]).find((c) => c.name === 'istio-proxy')?.image));
    expect(injected.length / PODS).toBeGreaterThan(0.5);
    expect(PODS - injected.length).toBeGreaterThan(100); // missing sidecars and unlabelled namespaces
    expect(images).toContain('docker.io/istio/proxyv2:1.22.5'); // stale proxies
    const owners = new Set(all.map((p) => p.metadata.ownerReferences[0].kind));
    expect(owners).toEqual(new Set(['ReplicaSet', 'StatefulSet']));
  });

  it('lists in namespace/name order; GET returns what the list holds', async () => {
    const keys = all.map(keyOf);
    expect(keys).toEqual([...keys].sort());
    const pod = all[1234] as RawObject;
    const got = json(await rawRequest(cluster, `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`));
    expect(Object.keys(got).slice(0, 2)).toEqual(['kind', 'apiVersion']);
    expect(got).toEqual({ kind: 'Pod', apiVersion: 'v1', ...pod });
  });

  it('pages through client-node with limit and continue, all namespaces and one', async () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 250, _continue: token });
      names.push(...page.items.map(keyOf));
      token = page.metadata?._continue;
      if (token) expect(page.metadata?.remainingItemCount).toBe(PODS - names.length);
      pages++;
    } while (token);
    expect(pages).toBe(PODS / 250);
    expect(names).toEqual(all.map(keyOf));

    const inNamespace: string[] = [];
    do {
      const page = await core.listNamespacedPod({ namespace: 'team-0007', limit: 7, _continue: token });
      inNamespace.push(...page.items.map(keyOf));
      token = page.metadata?._continue;
    } while (token);
    expect(inNamespace).toEqual(all.map(keyOf).filter((k) => k.startsWith('team-0007/')));
  });

  it('pages with selectors: the pages add up to the filtered full list', async () => {
    const selectors: [string, (o: RawObject) => boolean][] = [
      ['security.istio.io/tlsMode=istio', (o) => labelsOf(o)['security.istio.io/tlsMode'] === 'istio'],
      ['!security.istio.io/tlsMode', (o) => !('security.istio.io/tlsMode' in labelsOf(o))],
      ['app in (svc-0,svc-3),pod-template-hash', (o) => ['svc-0', 'svc-3'].includes(labelsOf(o).app as string) && 'pod-template-hash' in labelsOf(o)],
      ['app=svc-5,app!=svc-5', () => false],
    ];
    for (const [selector, expected] of selectors) {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await core.listPodForAllNamespaces({ labelSelector: selector, limit: 100, _continue: token });
        expect(page.items.length).toBeLessThanOrEqual(100);
        expect(page.metadata?.remainingItemCount).toBeUndefined();
        names.push(...page.items.map(keyOf));
        token = page.metadata?._continue;
      } while (token);
      expect(names, selector).toEqual(all.filter(expected).map(keyOf));
    }
    const onNode = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-7,status.phase=Running' });
    expect(onNode.items.map(keyOf)).toEqual(all.filter((p) => p.spec.nodeName === 'node-7').map(keyOf));
    expect(onNode.items.length).toBe(PODS / 50);
  });

  it.skipIf(!kubectlAvailable)('pages through kubectl --chunk-size, as the full list', async () => {
    cluster.clearRequests();
    const template = '{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}';
    const result = await kubectl(cluster.kubeconfigPath, ['get', 'pods', '-A', '--chunk-size=400', '-o', `jsonpath=${template}`]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(all.map(keyOf));
    const lists = cluster.requests.filter((r) => r.verb === 'list' && r.resource === 'pods');
    expect(lists).toHaveLength(Math.ceil(PODS / 400));
    expect(lists.every((r) => r.query.limit === '400' && r.accept?.startsWith('application/json'))).toBe(true);

    const selected = await kubectl(cluster.kubeconfigPath, ['get', 'pods', '-A', '--chunk-size=50', '-l', 'app=svc-2', '-o', `jsonpath=${template}`]);
    expect(selected.stdout.trim().split('\n')).toEqual(all.filter((p) => labelsOf(p).app === 'svc-2').map(keyOf));

    const table = await kubectl(cluster.kubeconfigPath, ['get', 'pods', '-n', 'team-0003', '--chunk-size=10']);
    expect(table.stdout.trim().split('\n')).toHaveLength(PODS / NAMESPACES + 1);
  });

  it('shows a patch of a synthetic pod in the next list, selectors and watches', async () => {
    const pod = all[2345] as RawObject;
    const { namespace, name } = pod.metadata;
    const before = cluster.store.revision;
    const patched = await core.patchNamespacedPod(
      { namespace, name, body: { metadata: { labels: { patched: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(Number(patched.metadata?.resourceVersion)).toBe(before + 1);
    expect(patched.spec?.containers).toEqual(pod.spec.containers);

    const selected = await core.listPodForAllNamespaces({ labelSelector: 'patched=yes' });
    expect(selected.items.map(keyOf)).toEqual([`${namespace}/${name}`]);
    const page = await core.listNamespacedPod({ namespace, limit: 500 });
    const listed = page.items.find((p: V1Pod) => p.metadata?.name === name);
    expect(listed?.metadata?.labels).toEqual({ ...pod.metadata.labels, patched: 'yes' });
    expect(listed?.metadata?.resourceVersion).toBe(patched.metadata?.resourceVersion);
    expect(page.items.map(keyOf)).toEqual(all.map(keyOf).filter((k) => k.startsWith(`${namespace}/`)));

    const watch = await rawRequest(cluster, `/api/v1/namespaces/${namespace}/pods?watch=true&resourceVersion=${before}&timeoutSeconds=1`);
    const events = watch.body.trim().split('\n').map((line) => JSON.parse(line) as { type: string; object: RawObject });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.labels.patched}`)).toEqual([`MODIFIED ${name} yes`]);

    // Deleting a pod takes it out of the sorted pages; the other pods keep their places.
    expect((await rawRequest(cluster, `/api/v1/namespaces/${namespace}/pods/${name}`, { method: 'DELETE' })).status).toBe(200);
    const after = (json(await rawRequest(cluster, `/api/v1/pods?limit=${PODS}`)) as { items: RawObject[] }).items.map(keyOf);
    expect(after).toEqual(all.map(keyOf).filter((k) => k !== `${namespace}/${name}`));
  });
});

describe('--synthetic PODS:NAMESPACES', () => {
  it('parses and checks the spec', () => {
    expect(parseSyntheticSpec('100000:2000')).toEqual({ pods: 100000, namespaces: 2000 });
    expect(() => parseSyntheticSpec('100k')).toThrow('--synthetic expects PODS:NAMESPACES, e.g. 100000:2000 (got "100k")');
    expect(() => parseSyntheticSpec('10:0')).toThrow('--synthetic needs at least 1 namespace (got 0)');
    expect(() => parseSyntheticSpec('-1:3')).toThrow('--synthetic expects PODS:NAMESPACES');
  });
});

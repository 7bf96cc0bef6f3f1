// The live source cuts listed pods and workloads down to POD_FIELDS / WORKLOAD_FIELDS while they arrive.
// That is only right while the records read nothing else: for richly populated objects, every member is
// changed (and removed) one at a time, and the record of the cut-down object must equal the record of
// the whole one each time. A field that podRecord or workloadRecord starts reading, and that the
// projections leave out, makes the record of the whole object change while the cut-down one does not.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ListSplitter, type Projection } from '../../src/cluster/list-splitter.js';
import { POD_FIELDS, SERVICE_FIELDS, WORKLOAD_FIELDS } from '../../src/cluster/record-fields.js';
import { podRecord, serviceRecord, workloadRecord, type RawObject } from '../../src/cluster/records.js';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { generateSyntheticCluster } from '../synthetic/synthetic-cluster.js';

const DEMO = fileURLToPath(new URL('../../demo/cluster.yaml', import.meta.url));

/** What the live source parses of a listed object: the splitter's projected text of it, parsed. */
function projected(object: RawObject, projection: Projection): RawObject {
  const items: string[] = [];
  const splitter = new ListSplitter((json) => items.push(json), { projection });
  splitter.push(Buffer.from(JSON.stringify({ kind: 'List', items: [object] })));
  splitter.end();
  expect(items).toHaveLength(1);
  return JSON.parse(items[0]!) as RawObject;
}

/** Every path to a member or element of `value`. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([...prefix, i]), paths(v, [...prefix, i], out)));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push([...prefix, k]), paths(v, [...prefix, k], out);
  return out;
}

/** Copies of `object` with the value at `path` replaced by each of a few others, or removed. */
function mutations(object: RawObject, path: (string | number)[]): RawObject[] {
  const variants: unknown[] = ['changed', 7, true, null, { x: 'y' }, ['z'], undefined];
  return variants.map((variant) => {
    const copy = structuredClone(object);
    let parent: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (variant === undefined) {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else parent[last] = variant;
    return copy;
  });
}

/** A pod with more or less every field a pod can have. */
function richPod(): RawObject {
  const container = (name: string, image: string) => ({
    name,
    image,
    args: ['--a'],
    command: ['run'],
    env: [{ name: 'E', value: 'v' }, { name: 'F', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
    resources: { limits: { cpu: '1' }, requests: { memory: '1Mi' } },
    readinessProbe: { httpGet: { path: '/', port: 80 } },
    securityContext: { runAsUser: 1337, capabilities: { add: ['NET_ADMIN'] } },
    volumeMounts: [{ name: 'v', mountPath: '/v' }],
    imagePullPolicy: 'IfNotPresent',
    restartPolicy: 'Always',
    lifecycle: { postStart: { exec: { command: ['x'] } } },
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-abc-xyz',
      generateName: 'web-abc-',
      namespace: 'shop',
      uid: 'u',
      resourceVersion: '5',
      generation: 2,
      creationTimestamp: '2026-01-01T00:00:00Z',
      deletionTimestamp: '2026-01-02T00:00:00Z',
      labels: { app: 'web', 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary', 'pod-template-hash': 'abc' },
      annotations: {
        'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"],"revision":"canary"}',
        'sidecar.istio.io/inject': 'false',
        'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts":true}',
        'inject.istio.io/templates': 'sidecar',
        'istio.io/rev': 'canary',
        'ambient.istio.io/redirection': 'enabled',
        'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z',
        'kubectl.kubernetes.io/last-applied-configuration': '{"big":"json"}',
      },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r', controller: true, blockOwnerDeletion: true },
        { apiVersion: 'v1', kind: 'Other', name: 'o', uid: 'o' },
      ],
      finalizers: ['f'],
      managedFields: [{ manager: 'm', operation: 'Update', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {} } } } }],
    },
    spec: {
      hostNetwork: true,
      hostPID: false,
      containers: [container('web', 'registry/web:1'), container('istio-proxy', 'docker.io/istio/proxyv2:1.23.2')],
      initContainers: [container('istio-init', 'docker.io/istio/proxyv2:1.23.2'), { name: 'sidecar', image: 'x', restartPolicy: 'Always' }],
      ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
      volumes: [{ name: 'v', emptyDir: {} }],
      nodeName: 'n',
      serviceAccountName: 'sa',
      dnsPolicy: 'ClusterFirst',
      tolerations: [{ key: 'k', operator: 'Exists' }],
      affinity: { nodeAffinity: {} },
      securityContext: { fsGroup: 1 },
      restartPolicy: 'Always',
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'web', image: 'registry/web:1', ready: true, state: { running: {} } }],
      initContainerStatuses: [{ name: 'istio-init', image: 'x', state: { terminated: { exitCode: 0 } } }],
      podIP: '10.0.0.1',
    },
  };
}

function richWorkload(kind: string): RawObject {
  const template = { metadata: richPod().metadata, spec: richPod().spec };
  const spec =
    kind === 'CronJob'
      ? { schedule: '* * * * *', suspend: false, jobTemplate: { metadata: { labels: { j: 'k' } }, spec: { template, backoffLimit: 1 } } }
      : {
          replicas: 3,
          paused: true,
          selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2, maxUnavailable: 1 } },
          template,
          revisionHistoryLimit: 10,
        };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { ...richPod().metadata, name: 'web', generation: 4 },
    spec,
    status: {
      observedGeneration: 3,
      replicas: 3,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 1,
      unavailableReplicas: 2,
      desiredNumberScheduled: 5,
      currentNumberScheduled: 4,
      updatedNumberScheduled: 3,
      numberReady: 2,
      numberAvailable: 1,
      currentRevision: 'web-1',
      updateRevision: 'web-2',
      collisionCount: 0,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'm' },
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
      ],
    },
  };
}

const podRecordOf = (raw: RawObject) => podRecord(raw);
const workloadRecordOf = (kind: string) => (raw: RawObject) => workloadRecord({ ...raw, kind: raw.kind ?? kind });

/** Checks that `record` of the cut-down object equals `record` of the whole one, for it and every mutation. */
function checkEveryMutation(object: RawObject, projection: Projection, record: (raw: RawObject) => unknown): number {
  let checked = 0;
  const check = (o: RawObject) => {
    expect(record(projected(o, projection))).toEqual(record(o));
    checked++;
  };
  check(object);
  for (const path of paths(object)) for (const m of mutations(object, path)) check(m);
  return checked;
}

describe('the projections of listed objects keep everything their records read', () => {
  it('pods: a rich pod, every member changed or removed', () => {
    expect(checkEveryMutation(richPod(), POD_FIELDS, podRecordOf)).toBeGreaterThan(1000);
  });

  it.each(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'])('workloads: a rich %s, every member changed or removed', (kind) => {
    expect(checkEveryMutation(richWorkload(kind), WORKLOAD_FIELDS, workloadRecordOf(kind))).toBeGreaterThan(1000);
  });

  it('services: a rich Service, every member changed or removed', () => {
    const service: RawObject = {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: {
        name: 'api',
        namespace: 'shop',
        uid: 'u',
        resourceVersion: '1',
        labels: { app: 'api', 'istio.io/use-waypoint': 'wp', 'istio.io/use-waypoint-namespace': 'infra' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        managedFields: [{ manager: 'kubectl', operation: 'Apply', time: '2026-01-01T00:00:00Z' }],
      },
      spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], clusterIP: '10.0.0.1', type: 'ClusterIP' },
      status: { loadBalancer: {} },
    };
    expect(checkEveryMutation(service, SERVICE_FIELDS, serviceRecord)).toBeGreaterThan(100);
    expect(Object.keys(projected(service, SERVICE_FIELDS)).sort()).toEqual(['kind', 'metadata']);
  });

  it('pods: the ambient annotations are kept (ambient.istio.io/redirection)', () => {
    const pod = { ...richPod() };
    pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata.annotations, 'ambient.istio.io/redirection': 'enabled', 'other.example.com/x': 'y' } };
    expect(projected(pod, POD_FIELDS).metadata.annotations['ambient.istio.io/redirection']).toBe('enabled');
    expect(podRecord(projected(pod, POD_FIELDS)).annotations['ambient.istio.io/redirection']).toBe('enabled');
  });

  it('every pod and workload of the demo and of a synthetic cluster', () => {
    const objects: RawObject[] = [...readSnapshotObjects(DEMO)];
    generateSyntheticCluster({ pods: 300, namespaces: 3 }, (o) => objects.push(o));
    let pods = 0;
    let workloads = 0;
    for (const o of objects) {
      if (o.kind === 'Pod') {
        expect(podRecord(projected(o, POD_FIELDS))).toEqual(podRecord(o));
        pods++;
      } else if (o.kind === 'Service') {
        expect(serviceRecord(projected(o, SERVICE_FIELDS))).toEqual(serviceRecord(o));
      } else if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet'].includes(o.kind)) {
        const { kind, ...listed } = o; // list items carry no kind; the live source sets it
        expect(workloadRecordOf(kind)(projected(listed, WORKLOAD_FIELDS))).toEqual(workloadRecord(o));
        workloads++;
      }
    }
    expect(pods).toBeGreaterThan(300);
    expect(workloads).toBeGreaterThan(60);
  });

  it('cuts away what is not read (managedFields, status, env, volumes)', () => {
    const cut = projected(richPod(), POD_FIELDS);
    expect(Object.keys(cut).sort()).toEqual(['kind', 'metadata', 'spec']);
    expect(cut.metadata.managedFields).toBeUndefined();
    expect(cut.spec.volumes).toBeUndefined();
    expect(Object.keys(cut.spec.containers[0]).sort()).toEqual(['args', 'image', 'name', 'restartPolicy']);
    expect(JSON.stringify(cut).length).toBeLessThan(JSON.stringify(richPod()).length / 2);
  });
});

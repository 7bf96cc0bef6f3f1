// A synthetic cluster of N pods across M namespaces, for scale tests and `npm run bench`: realistic
// pod objects of 4-8 KB (managedFields, status, env, probes), owned by Deployments (through
// ReplicaSets) and StatefulSets, with a mix of injected, missing, wrong-revision and stale pods, and
// the Istio control plane of the demo (revisions stable and canary, tag prod).
import { createHash } from 'node:crypto';
import type { RawObject } from '../../src/cluster/records.js';

export interface SyntheticOptions {
  pods: number;
  namespaces: number;
  /** Objects of the control plane (webhooks, injector ConfigMaps); default: none. */
  controlPlane?: RawObject[];
}

const HUB = 'docker.io/istio';
const PODS_PER_WORKLOAD = 5;

function shortHash(text: string, length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('md5').update(text).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[digest[i % digest.length]! % alphabet.length];
  return out;
}

function uid(n: number, salt: string): string {
  const h = createHash('md5').update(`${salt}${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

type Flavour = 'injected' | 'missing' | 'old-revision' | 'old-image' | 'plain';

/** Namespace i's labels: most on prod (stable), some on canary, a few unlabelled. */
function namespaceLabels(i: number): Record<string, string> {
  if (i % 10 === 9) return {};
  if (i % 10 === 8) return { 'istio.io/rev': 'canary' };
  return { 'istio.io/rev': 'prod' };
}

function flavourOf(nsIndex: number, workloadIndex: number): Flavour {
  if (nsIndex % 10 === 9) return 'plain';
  const r = (nsIndex * 31 + workloadIndex * 7) % 20;
  if (r === 0) return 'missing';
  if (r === 1) return 'old-image';
  if (r === 2 && nsIndex % 10 === 8) return 'old-revision';
  return 'injected';
}

const ENV = Array.from({ length: 12 }, (_, i) => ({ name: `APP_SETTING_${i}`, value: `value-${i}-${'x'.repeat(12)}` }));

function appContainer(app: string) {
  return {
    name: app,
    image: `registry.example.com/team/${app}:2.7.${app.length}`,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
    env: ENV,
    resources: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
    readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    volumeMounts: [{ name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
  };
}

function proxyContainer(image: string) {
  return {
    name: 'istio-proxy',
    image,
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: 'istiod-stable.istio-system.svc:15012' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'INSTANCE_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
      { name: 'TRUST_DOMAIN', value: 'cluster.local' },
    ],
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' }, periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 4 },
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    restartPolicy: 'Always',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 },
    volumeMounts: [
      { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
    ],
  };
}

const STATUS = (revision: string) =>
  JSON.stringify({ initContainers: ['istio-init', 'istio-proxy'], containers: null, volumes: ['workload-socket', 'istio-envoy', 'istio-data', 'istio-token', 'istiod-ca-cert'], imagePullSecrets: null, revision });

function managedFields(time: string) {
  return [
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'v1',
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} }, 'f:ownerReferences': { '.': {}, 'k:{"uid":"x"}': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:env': {}, 'f:image': {}, 'f:name': {}, 'f:ports': {}, 'f:resources': {} } } } },
    },
    {
      manager: 'kubelet',
      operation: 'Update',
      apiVersion: 'v1',
      time,
      fieldsType: 'FieldsV1',
      subresource: 'status',
      fieldsV1: { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } }, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': {}, 'f:startTime': {} } },
    },
  ];
}

/** Calls `emit` for every object of the synthetic cluster (namespaces, workloads, pods), in order. */
export function generateSyntheticCluster(options: SyntheticOptions, emit: (obj: RawObject) => void): void {
  for (const obj of options.controlPlane ?? []) emit(obj);
  const podsPerNamespace = Math.floor(options.pods / options.namespaces);
  let remainder = options.pods - podsPerNamespace * options.namespaces;
  let podCounter = 0;
  for (let n = 0; n < options.namespaces; n++) {
    const ns = `team-${String(n).padStart(4, '0')}`;
    const labels = namespaceLabels(n);
    emit({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, uid: uid(n, 'ns'), labels: { 'kubernetes.io/metadata.name': ns, ...labels }, creationTimestamp: '2026-06-01T00:00:00Z' }, status: { phase: 'Active' } });
    let podsHere = podsPerNamespace + (remainder > 0 ? 1 : 0);
    if (remainder > 0) remainder--;
    const revision = labels['istio.io/rev'] === 'canary' ? 'canary' : 'stable';
    for (let w = 0; podsHere > 0; w++) {
      const replicas = Math.min(PODS_PER_WORKLOAD, podsHere);
      podsHere -= replicas;
      const app = `svc-${w}`;
      const statefulset = w % 7 === 6;
      const flavour = flavourOf(n, w);
      const hash = shortHash(`${ns}/${app}`, 10);
      const template = { metadata: { labels: { app } }, spec: { containers: [appContainer(app)] } };
      if (statefulset) {
        emit({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: app, namespace: ns, uid: uid(w, `${ns}sts`), generation: 1 }, spec: { replicas, selector: { matchLabels: { app } }, serviceName: app, template }, status: { observedGeneration: 1, replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas, currentRevision: `${app}-${hash}`, updateRevision: `${app}-${hash}` } });
      } else {
        emit({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, namespace: ns, uid: uid(w, `${ns}dep`), generation: 1 }, spec: { replicas, selector: { matchLabels: { app } }, template }, status: { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas } });
        emit({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${app}-${hash}`, namespace: ns, uid: uid(w, `${ns}rs`), labels: { app, 'pod-template-hash': hash }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: uid(w, `${ns}dep`), controller: true }] }, spec: { replicas, selector: { matchLabels: { app, 'pod-template-hash': hash } }, template }, status: { replicas, readyReplicas: replicas, availableReplicas: replicas } });
      }
      for (let r = 0; r < replicas; r++) {
        const name = statefulset ? `${app}-${r}` : `${app}-${hash}-${shortHash(`${ns}/${app}/${r}`, 5)}`;
        const created = new Date(Date.parse('2026-11-16T00:00:00Z') + (podCounter++ % 86400) * 1000).toISOString();
        const injected = flavour !== 'missing' && flavour !== 'plain';
        const podRevision = flavour === 'old-revision' ? 'stable' : revision;
        const image = `${HUB}/proxyv2:${flavour === 'old-image' ? '1.22.5' : podRevision === 'canary' ? '1.24.0' : '1.23.2'}`;
        const podLabels: Record<string, string> = { app, ...(statefulset ? { 'statefulset.kubernetes.io/pod-name': name } : { 'pod-template-hash': hash }) };
        const annotations: Record<string, string> = { 'kubectl.kubernetes.io/restartedAt': '2026-11-15T10:00:00Z' };
        if (injected) {
          Object.assign(podLabels, { 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': app, 'service.istio.io/canonical-revision': 'latest' });
          Object.assign(annotations, { 'sidecar.istio.io/status': STATUS(podRevision), 'istio.io/rev': podRevision, 'kubectl.kubernetes.io/default-container': app, 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true' });
        }
        const ownerKind = statefulset ? 'StatefulSet' : 'ReplicaSet';
        emit({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name,
            namespace: ns,
            uid: uid(podCounter, 'pod'),
            resourceVersion: String(100000 + podCounter),
            creationTimestamp: created,
            ...(statefulset ? {} : { generateName: `${app}-${hash}-` }),
            labels: podLabels,
            annotations,
            ownerReferences: [{ apiVersion: 'apps/v1', kind: ownerKind, name: statefulset ? app : `${app}-${hash}`, uid: uid(w, `${ns}${statefulset ? 'sts' : 'rs'}`), controller: true, blockOwnerDeletion: true }],
            managedFields: managedFields(created),
          },
          spec: {
            containers: [appContainer(app)],
            ...(injected ? { initContainers: [{ name: 'istio-init', image, args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337'] }, proxyContainer(image)] } : {}),
            dnsPolicy: 'ClusterFirst',
            enableServiceLinks: true,
            nodeName: `node-${podCounter % 50}`,
            preemptionPolicy: 'PreemptLowerPriority',
            priority: 0,
            restartPolicy: 'Always',
            schedulerName: 'default-scheduler',
            serviceAccountName: 'default',
            terminationGracePeriodSeconds: 30,
            tolerations: [
              { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
              { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
            ],
            volumes: [{ name: 'kube-api-access', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } }],
          },
          status: {
            phase: 'Running',
            conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: created })),
            hostIP: `10.0.${podCounter % 50}.1`,
            podIP: `10.244.${Math.floor(podCounter / 250) % 250}.${podCounter % 250}`,
            podIPs: [{ ip: `10.244.${Math.floor(podCounter / 250) % 250}.${podCounter % 250}` }],
            startTime: created,
            qosClass: 'Burstable',
            containerStatuses: [{ name: app, ready: true, restartCount: 0, started: true, image: `registry.example.com/team/${app}:2.7.${app.length}`, imageID: `registry.example.com/team/${app}@sha256:${createHash('sha256').update(app).digest('hex')}`, containerID: `containerd://${createHash('sha256').update(name).digest('hex')}`, state: { running: { startedAt: created } } }],
          },
        });
      }
    }
  }
}

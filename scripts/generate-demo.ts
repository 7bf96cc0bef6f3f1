// Writes demo/cluster.yaml, the bundled demo cluster (`kubectl inject status --demo`), and demo/east.yaml, a
// second, smaller cluster of the same fleet (`--demo --all-contexts`, context "east"; see the end of this file).
// Two revisions (stable = istiod 1.26.2, upgraded in place from 1.25.3; canary = istiod 1.28.0), the
// revision tag prod -> stable, and namespaces that between them show every drift code and finding of the
// contract, the version-dependent rules (1.26 vs 1.28), a gateway, a waypoint, a kube-injected workload
// re-injected by the webhook, and a workload the canary injector refuses.
// Run: node --import tsx scripts/generate-demo.ts
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

type Obj = Record<string, unknown>;
const objects: Obj[] = [];
const HUB = 'docker.io/istio';

function hash(text: string, length = 10): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[digest[i]! % alphabet.length];
  return out;
}

function uid(text: string): string {
  const h = createHash('sha256').update(`uid:${text}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function managed(manager: string, time: string, operation = 'Update') {
  return { manager, operation, apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } };
}

// ---------------------------------------------------------------- Istio control plane
const SIDECAR_TEMPLATE = `spec:
  initContainers:
  {{- if not .Values.pilot.cni.enabled }}
  - name: istio-init
    image: "{{ .ProxyImage }}"
    args: ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT"]
  {{- end }}
  {{- if .NativeSidecars }}
  - name: istio-proxy
    image: "{{ .ProxyImage }}"
    restartPolicy: Always
    args: ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"]
  {{- end }}
  containers:
  {{- if not .NativeSidecars }}
  - name: istio-proxy
    image: "{{ .ProxyImage }}"
    args: ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"]
  {{- end }}
`;
const GATEWAY_TEMPLATE = `spec:
  containers:
  - name: istio-proxy
    image: "{{ .ProxyImage }}"
    args: ["proxy", "router"]
`;
const GRPC_SIMPLE_TEMPLATE = `spec:
  initContainers:
  - name: grpc-bootstrap-init
    image: busybox:1.28
    command: ["sh", "-c", "echo bootstrap > /var/lib/grpc/data/bootstrap.json"]
  containers:
  {{- range .Spec.Containers }}
  - name: {{ .Name }}
    env:
    - name: GRPC_XDS_BOOTSTRAP
      value: /var/lib/grpc/data/bootstrap.json
  {{- end }}
  volumes:
  - name: grpc-io-proxyless-bootstrap
    emptyDir: {}
`;

// A team's extra template (stable has it, canary was installed without it).
const DEBUG_TOOLS_TEMPLATE = `spec:
  containers:
  - name: istio-proxy
    env:
    - name: ISTIO_META_DEBUG_TOOLS
      value: "true"
`;

function injectorConfigMap(revision: string, tag: string, created: string, changed: string | null, extraTemplates: Record<string, string> = {}) {
  const config = {
    defaultTemplates: ['sidecar'],
    policy: 'enabled',
    alwaysInjectSelector: [],
    neverInjectSelector: [{ matchExpressions: [{ key: 'openshift.io/build.name', operator: 'Exists' }] }],
    injectedAnnotations: {},
    template: '{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}',
    templates: { sidecar: SIDECAR_TEMPLATE, gateway: GATEWAY_TEMPLATE, 'grpc-simple': GRPC_SIMPLE_TEMPLATE, ...extraTemplates },
  };
  const values = {
    global: { hub: HUB, tag, variant: '', istioNamespace: 'istio-system', proxy: { image: 'proxyv2', autoInject: 'enabled' }, proxy_init: { image: 'proxyv2' } },
    revision,
    sidecarInjectorWebhook: { enableNamespacesByDefault: false, reinvocationPolicy: 'Never' },
    pilot: { cni: { enabled: false, provider: 'default' } },
  };
  const fields = [managed('helm', created)];
  if (changed) fields.push(managed('helm', changed));
  objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `istio-sidecar-injector-${revision}`,
      namespace: 'istio-system',
      labels: { 'istio.io/rev': revision, app: 'sidecar-injector', 'app.kubernetes.io/name': 'istiod', 'operator.istio.io/component': 'Pilot' },
      creationTimestamp: created,
      uid: uid(`cm-${revision}`),
      resourceVersion: '1001',
      managedFields: fields,
    },
    data: { config: yaml.dump(config, { lineWidth: -1 }), values: JSON.stringify(values, null, 2) },
  });
  objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `istio-${revision}`, namespace: 'istio-system', labels: { 'istio.io/rev': revision }, creationTimestamp: created, uid: uid(`mesh-${revision}`) },
    data: { mesh: 'defaultConfig:\n  discoveryAddress: istiod-' + revision + '.istio-system.svc:15012\ndefaultProviders:\n  metrics:\n  - prometheus\nenablePrometheusMerge: true\nrootNamespace: istio-system\ntrustDomain: cluster.local\n' },
  });
}

function webhook(name: string, service: string, namespaceSelector: Obj, objectSelector: Obj) {
  return {
    name,
    clientConfig: { service: { name: service, namespace: 'istio-system', path: '/inject', port: 443 } },
    sideEffects: 'None',
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    failurePolicy: 'Fail',
    reinvocationPolicy: 'Never',
    admissionReviewVersions: ['v1'],
    namespaceSelector,
    objectSelector,
  };
}

function revisionWebhooks(value: string, service: string) {
  return [
    webhook(
      'rev.namespace.sidecar-injector.istio.io',
      service,
      { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [value] }, { key: 'istio-injection', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] },
    ),
    webhook(
      'rev.object.sidecar-injector.istio.io',
      service,
      { matchExpressions: [{ key: 'istio.io/rev', operator: 'DoesNotExist' }, { key: 'istio-injection', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }, { key: 'istio.io/rev', operator: 'In', values: [value] }] },
    ),
  ];
}

function mwc(name: string, labels: Obj, webhooks: Obj[], created: string, changed: string | null) {
  const fields = [managed('helm', created)];
  // istiod patches the caBundle at start-up; that is not a change of the injection rules.
  fields.push({ ...managed('pilot-discovery', '2026-11-21T07:00:00Z'), fieldsV1: { 'f:webhooks': { 'k:{"name":"rev.namespace.sidecar-injector.istio.io"}': { 'f:clientConfig': { 'f:caBundle': {} } } } } });
  if (changed) fields.push(managed('kubectl-edit', changed));
  objects.push({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name, labels: { app: 'sidecar-injector', ...labels }, creationTimestamp: created, uid: uid(`mwc-${name}`), generation: 1, managedFields: fields },
    webhooks,
  });
}

injectorConfigMap('stable', '1.26.2', '2026-09-01T10:00:00Z', '2026-11-15T12:00:00Z', { 'debug-tools': DEBUG_TOOLS_TEMPLATE }); // in-place upgrade 1.25.3 -> 1.26.2
injectorConfigMap('canary', '1.28.0', '2026-11-10T09:00:00Z', null);
mwc('istio-sidecar-injector-stable', { 'istio.io/rev': 'stable' }, revisionWebhooks('stable', 'istiod-stable'), '2026-09-01T10:00:00Z', null);
mwc('istio-sidecar-injector-canary', { 'istio.io/rev': 'canary' }, revisionWebhooks('canary', 'istiod-canary'), '2026-11-10T09:00:00Z', '2026-11-12T16:30:00Z');
mwc('istio-revision-tag-prod', { 'istio.io/rev': 'stable', 'istio.io/tag': 'prod' }, revisionWebhooks('prod', 'istiod-stable'), '2026-09-01T10:05:00Z', null);
// A team's hand-made webhook that overlaps the canary one: two injectors for the same pods.
mwc(
  'team-a-sidecar-injector',
  { 'istio.io/rev': 'stable' },
  [webhook('team-a.sidecar-injector.istio.io', 'istiod-stable', { matchLabels: { team: 'a' } }, { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] })],
  '2026-10-02T08:00:00Z',
  null,
);
// A webhook that is not Istio's: ignored by the audit.
objects.push({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: { name: 'cert-manager-webhook', creationTimestamp: '2026-08-01T00:00:00Z', uid: uid('mwc-cert-manager') },
  webhooks: [
    {
      name: 'webhook.cert-manager.io',
      clientConfig: { service: { name: 'cert-manager-webhook', namespace: 'cert-manager', path: '/mutate', port: 443 } },
      rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['cert-manager.io'], apiVersions: ['v1'], resources: ['*/*'] }],
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      failurePolicy: 'Fail',
    },
  ],
});

// ---------------------------------------------------------------- namespaces
function namespace(name: string, labels: Record<string, string> = {}) {
  objects.push({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, creationTimestamp: '2026-08-01T00:00:00Z', uid: uid(`ns-${name}`) },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
}

namespace('kube-system');
namespace('istio-system');
namespace('bookinfo', { 'istio.io/rev': 'prod' });
namespace('shop', { 'istio.io/rev': 'canary' });
namespace('payments', { 'istio.io/rev': 'prod' });
namespace('legacy', { 'istio-injection': 'enabled' });
namespace('migrating', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' });
namespace('staging', { 'istio.io/rev': '1-19' });
namespace('monitoring', { 'istio.io/rev': 'prod' });
namespace('team-a', { 'istio.io/rev': 'canary', team: 'a' });
namespace('grpc', { 'istio.io/rev': 'canary' });
namespace('ambient-apps', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' });
// storefront: mid-migration to ambient (was istio.io/rev=prod): relabelled, its pods not restarted yet.
namespace('storefront', { 'istio.io/dataplane-mode': 'ambient' });
namespace('istio-ingress');
namespace('reports', { 'istio.io/rev': 'prod' });
namespace('tools');

// ---------------------------------------------------------------- ambient: Gateways (waypoints), Services, AuthorizationPolicies
function gateway(ns: string, name: string, gatewayClassName: string, labels: Record<string, string>) {
  objects.push({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: ns, labels, creationTimestamp: '2026-11-19T10:55:00Z', uid: uid(`gtw-${ns}-${name}`), generation: 1 },
    spec: { gatewayClassName, listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    status: { conditions: [{ type: 'Programmed', status: 'True', reason: 'Programmed' }] },
  });
}

function service(ns: string, name: string, labels: Record<string, string>) {
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: { app: name, ...labels }, creationTimestamp: '2026-11-18T10:00:00Z', uid: uid(`svc-${ns}-${name}`) },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }], type: 'ClusterIP' },
  });
}

function authorizationPolicy(ns: string, name: string, spec: Obj) {
  objects.push({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: ns, creationTimestamp: '2026-11-18T10:00:00Z', uid: uid(`ap-${ns}-${name}`), generation: 1 },
    spec,
  });
}

// ---------------------------------------------------------------- workloads and pods
interface Proxy {
  revision: string;
  image: string;
  native: boolean;
  /** istioctl kube-inject: the proxy is in the workload template itself. */
  manual?: boolean;
  /** Status annotation of a template that adds no proxy (proxyless gRPC). */
  proxyless?: boolean;
}

/** A gateway or waypoint: its istio-proxy is the workload itself (`proxy router|waypoint`), no webhook touches it. */
interface OwnProxy {
  role: 'router' | 'waypoint';
  revision: string;
  image: string;
}

interface AppSpec {
  ns: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'Pod';
  name: string;
  replicas?: number;
  created: string;
  proxy?: Proxy;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Added to the pods only (by a controller such as the ambient CNI). */
  podAnnotations?: Record<string, string>;
  image?: string;
  hostNetwork?: boolean;
  phase?: string;
  gateway?: OwnProxy;
  /** Per pod (by index): annotations that differ (e.g. not yet captured by ambient), and pods that are not ready. */
  podAnnotationsAt?: Record<number, Record<string, string>>;
  notReady?: number[];
}

const VOLUMES = ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert', 'istio-ca-crl'];

function statusAnnotation(p: Proxy, app: string): string {
  if (p.proxyless) return JSON.stringify({ initContainers: ['grpc-bootstrap-init'], containers: [app], volumes: ['grpc-io-proxyless-bootstrap'], imagePullSecrets: null, revision: p.revision });
  return JSON.stringify(
    p.native
      ? { initContainers: ['istio-init', 'istio-proxy'], containers: null, volumes: VOLUMES, imagePullSecrets: null, revision: p.revision }
      : { initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: VOLUMES, imagePullSecrets: null, revision: p.revision },
  );
}

function appContainer(name: string, image: string) {
  return { name, image, ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }], resources: { requests: { cpu: '50m', memory: '64Mi' } } };
}

function proxyContainer(p: Proxy) {
  const c: Obj = {
    name: 'istio-proxy',
    image: p.image,
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning'],
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
  };
  if (p.native) c.restartPolicy = 'Always';
  return c;
}

function initContainer(p: Proxy) {
  return { name: 'istio-init', image: p.image, args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT'] };
}

/** The pod spec and metadata additions the injector (or kube-inject) makes. */
function injected(spec: Obj, meta: { labels: Record<string, string>; annotations: Record<string, string> }, p: Proxy, app: string) {
  meta.annotations['sidecar.istio.io/status'] = statusAnnotation(p, app);
  if (p.proxyless) {
    spec.initContainers = [{ name: 'grpc-bootstrap-init', image: 'busybox:1.28' }];
    return;
  }
  meta.annotations['istio.io/rev'] = p.revision;
  meta.annotations['kubectl.kubernetes.io/default-container'] = app;
  meta.annotations['prometheus.io/scrape'] = 'true';
  meta.annotations['prometheus.io/port'] = '15020';
  meta.annotations['prometheus.io/path'] = '/stats/prometheus';
  meta.labels['security.istio.io/tlsMode'] = 'istio';
  meta.labels['service.istio.io/canonical-name'] = app;
  meta.labels['service.istio.io/canonical-revision'] = meta.labels.version ?? 'latest';
  if (p.native) spec.initContainers = [initContainer(p), proxyContainer(p)];
  else {
    spec.initContainers = [initContainer(p)];
    (spec.containers as Obj[]).push(proxyContainer(p));
  }
}

function later(time: string, seconds: number): string {
  return new Date(Date.parse(time) + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function app(spec: AppSpec) {
  const appName = spec.name.replace(/-v\d+$/, '');
  const baseLabels: Record<string, string> = { app: appName, ...(spec.name.match(/-v\d+$/) ? { version: spec.name.slice(appName.length + 1) } : {}), ...(spec.labels ?? {}) };
  const templateMeta = { labels: { ...baseLabels }, annotations: { ...(spec.annotations ?? {}) } };
  const templateSpec: Obj = spec.gateway
    ? { containers: [{ name: 'istio-proxy', image: spec.gateway.image, args: ['proxy', spec.gateway.role, '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning'], ports: [{ containerPort: 15021, name: 'status-port', protocol: 'TCP' }] }] }
    : { containers: [appContainer(appName, spec.image ?? `registry.example.com/${spec.ns}/${appName}:1.4.2`)], ...(spec.hostNetwork ? { hostNetwork: true } : {}) };
  if (spec.gateway) templateMeta.annotations['istio.io/rev'] = spec.gateway.revision;
  if (spec.proxy?.manual) injected(templateSpec, templateMeta, spec.proxy, appName);

  const replicas = spec.replicas ?? 1;
  const workloadMeta = (name: string, extra: Obj = {}) => ({
    name,
    namespace: spec.ns,
    uid: uid(`${spec.kind}-${spec.ns}-${name}`),
    creationTimestamp: '2026-09-15T10:00:00Z',
    generation: 3,
    labels: { app: appName },
    resourceVersion: '2001',
    ...extra,
  });
  let ownerKind = spec.kind as string;
  let ownerName = spec.name;
  let podNames: string[] = [];
  const hashLabel: Record<string, string> = {};
  const template = { metadata: templateMeta, spec: templateSpec };
  const selector = { matchLabels: { app: appName, ...(baseLabels.version ? { version: baseLabels.version } : {}) } };

  if (spec.kind === 'Deployment') {
    const podTemplateHash = hash(`${spec.ns}/${spec.name}/template`, 10);
    const rsName = `${spec.name}-${podTemplateHash}`;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: workloadMeta(spec.name, { annotations: { 'deployment.kubernetes.io/revision': '3' } }),
      spec: { replicas, selector, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, template },
      status: { observedGeneration: 3, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] },
    });
    hashLabel['pod-template-hash'] = podTemplateHash;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        ...workloadMeta(rsName),
        labels: { ...baseLabels, 'pod-template-hash': podTemplateHash },
        annotations: { 'deployment.kubernetes.io/revision': '3' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name, uid: uid(`Deployment-${spec.ns}-${spec.name}`), controller: true, blockOwnerDeletion: true }],
      },
      spec: { replicas, selector: { matchLabels: { ...selector.matchLabels, 'pod-template-hash': podTemplateHash } }, template: { ...template, metadata: { ...templateMeta, labels: { ...templateMeta.labels, 'pod-template-hash': podTemplateHash } } } },
      status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 3 },
    });
    ownerKind = 'ReplicaSet';
    ownerName = rsName;
    podNames = Array.from({ length: replicas }, (_, i) => `${rsName}-${hash(`${rsName}/${i}`, 5)}`);
  } else if (spec.kind === 'StatefulSet') {
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: workloadMeta(spec.name),
      spec: { replicas, selector, serviceName: spec.name, template, updateStrategy: { type: 'RollingUpdate' } },
      status: { observedGeneration: 3, replicas, readyReplicas: replicas, currentReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas, currentRevision: `${spec.name}-${hash(spec.name, 10)}`, updateRevision: `${spec.name}-${hash(spec.name, 10)}` },
    });
    podNames = Array.from({ length: replicas }, (_, i) => `${spec.name}-${i}`);
  } else if (spec.kind === 'DaemonSet') {
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: workloadMeta(spec.name),
      spec: { selector, template, updateStrategy: { type: 'RollingUpdate' } },
      status: { observedGeneration: 3, desiredNumberScheduled: replicas, currentNumberScheduled: replicas, updatedNumberScheduled: replicas, numberReady: replicas - (spec.notReady?.length ?? 0), numberAvailable: replicas - (spec.notReady?.length ?? 0), numberMisscheduled: 0, ...(spec.notReady?.length ? { numberUnavailable: spec.notReady.length } : {}) },
    });
    podNames = Array.from({ length: replicas }, (_, i) => `${spec.name}-${hash(`${spec.name}/${i}`, 5)}`);
  } else if (spec.kind === 'Job') {
    objects.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: workloadMeta(spec.name, { generation: 1 }),
      spec: { completions: 1, parallelism: 1, backoffLimit: 6, template: { ...template, spec: { ...templateSpec, restartPolicy: 'Never' } } },
      status: { succeeded: 1, startTime: spec.created, completionTime: later(spec.created, 95) },
    });
    podNames = [`${spec.name}-${hash(spec.name, 5)}`];
  } else {
    ownerKind = '';
    podNames = [spec.name];
  }

  podNames.forEach((podName, i) => {
    const meta = { labels: { ...templateMeta.labels, ...hashLabel }, annotations: { ...templateMeta.annotations, ...(spec.podAnnotationsAt?.[i] ?? spec.podAnnotations ?? {}) } };
    const podSpec: Obj = JSON.parse(JSON.stringify(templateSpec));
    if (spec.proxy && !spec.proxy.manual) injected(podSpec, meta, spec.proxy, appName);
    const created = later(spec.created, i * 7);
    const containerNames = (podSpec.containers as Obj[]).map((c) => c.name as string);
    const phase = spec.phase ?? 'Running';
    const crashing = spec.notReady?.includes(i) ?? false;
    const running = phase === 'Running' && !crashing;
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: spec.ns,
        uid: uid(`pod-${spec.ns}-${podName}`),
        creationTimestamp: created,
        resourceVersion: String(3000 + objects.length),
        ...(ownerKind && spec.kind !== 'StatefulSet' && spec.kind !== 'DaemonSet' && spec.kind !== 'Job' ? { generateName: `${ownerName}-` } : {}),
        labels: meta.labels,
        ...(Object.keys(meta.annotations).length ? { annotations: meta.annotations } : {}),
        ...(ownerKind
          ? { ownerReferences: [{ apiVersion: spec.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: ownerKind, name: ownerName, uid: uid(`${ownerKind}-${spec.ns}-${ownerName}`), controller: true, blockOwnerDeletion: true }] }
          : {}),
        managedFields: [managed('kube-controller-manager', created)],
      },
      spec: { ...podSpec, nodeName: `node-${(i % 3) + 1}`, restartPolicy: spec.kind === 'Job' ? 'Never' : 'Always', serviceAccountName: 'default', schedulerName: 'default-scheduler' },
      status: {
        phase,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
          { type: 'Ready', status: running ? 'True' : 'False', lastTransitionTime: later(created, 20), ...(running ? {} : { reason: crashing ? 'ContainersNotReady' : 'PodCompleted' }) },
        ],
        hostIP: `10.0.0.${(i % 3) + 11}`,
        podIP: spec.hostNetwork ? `10.0.0.${(i % 3) + 11}` : `10.244.${(i % 3) + 1}.${20 + i}`,
        startTime: created,
        containerStatuses: containerNames.map((n) => ({
          name: n,
          ready: running,
          restartCount: crashing ? 14 : 0,
          image: 'x',
          imageID: '',
          started: running,
          state: running ? { running: { startedAt: later(created, 5) } } : crashing ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } } : { terminated: { exitCode: 0, reason: 'Completed' } },
        })),
      },
    });
  });
}

const stable = (image = '1.26.2', native = true): Proxy => ({ revision: 'stable', image: `${HUB}/proxyv2:${image}`, native });
const canary = (native = true): Proxy => ({ revision: 'canary', image: `${HUB}/proxyv2:1.28.0`, native });

// Ambient node components (istio 1.28.0): ztunnel on node-3 is crash-looping (NoZtunnel).
app({ ns: 'istio-system', kind: 'DaemonSet', name: 'ztunnel', replicas: 3, created: '2026-11-10T09:05:00Z', image: `${HUB}/ztunnel:1.28.0`, labels: { app: 'ztunnel', 'sidecar.istio.io/inject': 'false' }, notReady: [2] });
app({ ns: 'istio-system', kind: 'DaemonSet', name: 'istio-cni-node', replicas: 3, created: '2026-11-10T09:05:00Z', image: `${HUB}/install-cni:1.28.0`, labels: { 'k8s-app': 'istio-cni-node', 'sidecar.istio.io/inject': 'false' }, hostNetwork: true });
objects.push({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'istio-cni-config', namespace: 'istio-system', labels: { app: 'istio-cni', 'istio.io/rev': 'default', 'operator.istio.io/component': 'Cni' }, creationTimestamp: '2026-11-10T09:05:00Z', uid: uid('cm-istio-cni-config') },
  data: { CURRENT_AGENT_VERSION: '1.28.0', AMBIENT_ENABLED: 'true', AMBIENT_DNS_CAPTURE: 'true', AMBIENT_IPV6: 'true', CHAINED_CNI_PLUGIN: 'true', EXCLUDE_NAMESPACES: 'kube-system' },
});

// System namespaces: never labelled, nothing to inject.
app({ ns: 'kube-system', kind: 'Deployment', name: 'coredns', replicas: 2, created: '2026-08-01T00:05:00Z', image: 'registry.k8s.io/coredns/coredns:v1.11.3' });
app({ ns: 'istio-system', kind: 'Deployment', name: 'istiod-stable', created: '2026-11-15T12:01:00Z', image: `${HUB}/pilot:1.26.2`, labels: { istio: 'pilot', 'istio.io/rev': 'stable', 'sidecar.istio.io/inject': 'false' } });
app({ ns: 'istio-system', kind: 'Deployment', name: 'istiod-canary', created: '2026-11-10T09:01:00Z', image: `${HUB}/pilot:1.28.0`, labels: { istio: 'pilot', 'istio.io/rev': 'canary', 'sidecar.istio.io/inject': 'false' } });

// bookinfo (istio.io/rev=prod -> stable, upgraded in place to 1.26.2 on 2026-11-15).
app({ ns: 'bookinfo', kind: 'Deployment', name: 'productpage-v1', replicas: 2, created: '2026-11-18T10:00:00Z', proxy: stable() });
app({ ns: 'bookinfo', kind: 'Deployment', name: 'reviews-v1', created: '2026-11-18T10:02:00Z', proxy: stable() });
app({ ns: 'bookinfo', kind: 'Deployment', name: 'details-v1', created: '2026-11-05T08:00:00Z', proxy: stable('1.25.3') }); // ProxyImageMismatch + StaleTemplate
app({ ns: 'bookinfo', kind: 'Deployment', name: 'ratings-v1', created: '2026-10-20T14:00:00Z' }); // MissingSidecar
app({
  ns: 'bookinfo',
  kind: 'StatefulSet',
  name: 'mysql',
  created: '2026-11-18T10:05:00Z',
  proxy: stable(),
  image: 'docker.io/library/mysql:8.4',
  annotations: { 'sidecar.istio.io/proxyCPU': '200m', 'sidecar.istio.io/proxyMemory': '256Mi' },
});
app({ ns: 'bookinfo', kind: 'Pod', name: 'toolbox', created: '2026-10-21T09:00:00Z', image: 'docker.io/nicolaka/netshoot:v0.13' }); // bare pod, MissingSidecar

// shop (istio.io/rev=canary): moved from stable to canary, not restarted yet.
app({ ns: 'shop', kind: 'Deployment', name: 'cart', replicas: 2, created: '2026-11-18T11:00:00Z', proxy: stable() }); // RevisionMismatch
app({ ns: 'shop', kind: 'Deployment', name: 'checkout', created: '2026-11-11T09:30:00Z', proxy: canary() }); // StaleTemplate (canary webhook edited 11-12)
app({ ns: 'shop', kind: 'Deployment', name: 'frontend', created: '2026-11-19T08:00:00Z', proxy: canary(), labels: { 'sidecar.istio.io/inject': 'yes' } }); // InvalidInjectValue (1.28: unset, policy injects)
// Injected by stable with its extra template; canary (1.28.0) has no "debug-tools" template: it refuses the pods.
app({ ns: 'shop', kind: 'Deployment', name: 'search', created: '2026-11-18T11:30:00Z', proxy: stable(), annotations: { 'inject.istio.io/templates': 'sidecar,debug-tools' } }); // InjectionRejected
app({ ns: 'shop', kind: 'Job', name: 'db-migrate-29410560', created: '2026-11-01T02:00:00Z', phase: 'Succeeded' }); // MissingSidecar, Job

// payments (istio.io/rev=prod).
app({ ns: 'payments', kind: 'Deployment', name: 'api', replicas: 2, created: '2026-11-18T12:00:00Z', proxy: stable(), annotations: { 'sidecar.istio.io/proxyImage': `${HUB}/proxyv2:1.26.2` } });
app({ ns: 'payments', kind: 'Deployment', name: 'worker', created: '2026-11-18T12:05:00Z', labels: { 'sidecar.istio.io/inject': 'false' }, annotations: { 'sidecar.istio.io/inject': 'true' } }); // LabelOverridesAnnotation

// legacy (istio-injection=enabled, but only revisions are installed: nothing serves it).
app({ ns: 'legacy', kind: 'Deployment', name: 'billing', created: '2026-10-01T10:00:00Z' }); // NoInjector on the namespace

// migrating (istio-injection=enabled + istio.io/rev=canary): istio-injection wins and blocks the canary webhook.
app({ ns: 'migrating', kind: 'Deployment', name: 'orders', replicas: 2, created: '2026-11-18T13:00:00Z', proxy: canary() }); // UnexpectedSidecar

// staging (istio.io/rev=1-19): the 1-19 control plane was removed.
app({ ns: 'staging', kind: 'Deployment', name: 'inventory', created: '2026-07-01T10:00:00Z', proxy: { revision: '1-19', image: `${HUB}/proxyv2:1.19.10`, native: false } }); // UnexpectedSidecar

// monitoring (istio.io/rev=prod).
// istioctl kube-inject output from 1.25.3: the webhook re-injects it on every restart (no ManualSidecar), so its old proxy drifts.
app({ ns: 'monitoring', kind: 'Deployment', name: 'prometheus', created: '2026-11-18T14:00:00Z', image: 'quay.io/prometheus/prometheus:v2.55.0', proxy: { ...stable('1.25.3', false), manual: true } }); // ProxyImageMismatch
app({ ns: 'monitoring', kind: 'DaemonSet', name: 'node-exporter', replicas: 3, created: '2026-11-18T14:05:00Z', image: 'quay.io/prometheus/node-exporter:v1.8.2', hostNetwork: true }); // HostNetwork

// team-a (istio.io/rev=canary, team=a): the canary webhook and team-a's own webhook both match; team-a's
// is called last and re-injects with stable.
app({ ns: 'team-a', kind: 'Deployment', name: 'web', created: '2026-11-19T09:00:00Z', proxy: stable() }); // MultipleInjectors

// grpc (istio.io/rev=canary): proxyless gRPC went through the injector and has no proxy, as intended.
app({ ns: 'grpc', kind: 'Deployment', name: 'greeter', created: '2026-11-19T10:00:00Z', annotations: { 'inject.istio.io/templates': 'grpc-simple' }, proxy: { ...canary(), proxyless: true } });

// ambient-apps (istio.io/dataplane-mode=ambient): captured by ztunnel, no sidecar.
app({ ns: 'ambient-apps', kind: 'Deployment', name: 'catalog', created: '2026-11-19T11:00:00Z', podAnnotations: { 'ambient.istio.io/redirection': 'enabled' } });

// ambient-apps: ratings has a pod on node-3, whose ztunnel is crash-looping: not captured.
app({ ns: 'ambient-apps', kind: 'Deployment', name: 'ratings', replicas: 3, created: '2026-11-19T11:05:00Z', podAnnotations: { 'ambient.istio.io/redirection': 'enabled' }, podAnnotationsAt: { 2: {} } }); // NotCaptured (pod on node-3)
// ambient-apps: its waypoint (istioctl waypoint apply -n ambient-apps), rendered by istiod.
app({ ns: 'ambient-apps', kind: 'Deployment', name: 'waypoint', created: '2026-11-19T10:55:00Z', labels: { 'gateway.istio.io/managed': 'istio.io-mesh-controller', 'gateway.networking.k8s.io/gateway-name': 'waypoint', 'istio.io/dataplane-mode': 'none', 'sidecar.istio.io/inject': 'false' }, gateway: { role: 'waypoint', revision: 'canary', image: `${HUB}/proxyv2:1.28.0` } }); // gateway
gateway('ambient-apps', 'waypoint', 'istio-waypoint', { 'istio.io/waypoint-for': 'service' });
service('ambient-apps', 'catalog', {});
service('ambient-apps', 'ratings', { 'istio.io/use-waypoint': 'ratings-waypoint' }); // WaypointMissing (no such Gateway)

// storefront (istio.io/dataplane-mode=ambient, istio.io/rev=prod removed): pods still run stable's sidecars.
app({ ns: 'storefront', kind: 'Deployment', name: 'web', replicas: 2, created: '2026-11-18T17:00:00Z', proxy: stable() }); // SidecarInAmbient
app({ ns: 'storefront', kind: 'Deployment', name: 'api', created: '2026-11-18T17:05:00Z', proxy: stable() }); // SidecarInAmbient, L7PolicyNeedsWaypoint
service('storefront', 'web', {});
service('storefront', 'api', {});
// A sidecar-era policy with HTTP rules selecting api: ztunnel cannot enforce methods and paths.
authorizationPolicy('storefront', 'api-read-only', { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/storefront/sa/web'] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] }] }); // L7PolicyNeedsWaypoint
// L4 only (principals, ports): ztunnel enforces it as it is.
authorizationPolicy('storefront', 'web-from-ingress', { selector: { matchLabels: { app: 'web' } }, action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['istio-ingress'] } }], to: [{ operation: { ports: ['8080'] } }] }] });
// Already written for the waypoint (targetRefs): not for ztunnel.
authorizationPolicy('ambient-apps', 'catalog-get-only', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });

// istio-ingress (unlabelled): the gateway chart's ingress gateway runs its own proxy (`proxy router`).
app({ ns: 'istio-ingress', kind: 'Deployment', name: 'istio-ingressgateway', replicas: 2, created: '2026-11-15T12:10:00Z', labels: { istio: 'ingressgateway', 'sidecar.istio.io/inject': 'false' }, gateway: { role: 'router', revision: 'stable', image: `${HUB}/proxyv2:1.26.2` } }); // gateway
// bookinfo: the waypoint istiod renders for the namespace (waypoint.yaml).
app({ ns: 'bookinfo', kind: 'Deployment', name: 'waypoint', created: '2026-11-18T10:10:00Z', labels: { 'gateway.istio.io/managed': 'istio.io-mesh-controller', 'gateway.networking.k8s.io/gateway-name': 'waypoint', 'istio.io/dataplane-mode': 'none', 'sidecar.istio.io/inject': 'false' }, gateway: { role: 'waypoint', revision: 'stable', image: `${HUB}/proxyv2:1.26.2` } }); // gateway

// reports (istio.io/rev=prod -> stable, istiod 1.26.2): "no" opts out on 1.26; istiod 1.27+ would read it as unset and inject.
app({ ns: 'reports', kind: 'Deployment', name: 'exporter', created: '2026-11-18T15:00:00Z', labels: { 'sidecar.istio.io/inject': 'no' } }); // InvalidInjectValue (upgrade hazard)

// tools (unlabelled, no webhook selects it): kube-injected, so the proxy is the template's own.
app({ ns: 'tools', kind: 'Deployment', name: 'debugger', created: '2026-11-18T16:00:00Z', proxy: { ...stable('1.25.3', false), manual: true } }); // ManualSidecar

const out = fileURLToPath(new URL('../demo/cluster.yaml', import.meta.url));
const header = '# The bundled demo cluster of kubectl-inject (generated by scripts/generate-demo.ts; do not edit by hand).\n';
writeFileSync(out, header + yaml.dump({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objects }, { lineWidth: -1, noRefs: true }));
process.stderr.write(`wrote ${objects.length} objects to ${out}\n`);

// ================================================================ the second demo cluster: demo/east.yaml
// `--demo --context east` (and `--demo --all-contexts`): a smaller cluster of the same fleet with another
// revision situation. A default (non-revisioned) install, istiod 1.27.3 upgraded in place from 1.27.1,
// and a revision 1-28 installed beside it that one namespace was moved to without a restart.
objects.length = 0;
injectorConfigMap('default', '1.27.3', '2026-08-20T10:00:00Z', '2026-11-20T09:00:00Z'); // in-place upgrade 1.27.1 -> 1.27.3
// The default revision's ConfigMaps carry no suffix (istio-sidecar-injector, istio).
for (const o of objects.slice(-2)) {
  const meta = o.metadata as { name: string };
  meta.name = meta.name.replace(/-default$/, '');
}
injectorConfigMap('1-28', '1.28.0', '2026-11-21T08:00:00Z', null);
mwc(
  'istio-sidecar-injector',
  { 'istio.io/rev': 'default' },
  [
    webhook(
      'namespace.sidecar-injector.istio.io',
      'istiod',
      { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] },
      { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] },
    ),
    webhook(
      'object.sidecar-injector.istio.io',
      'istiod',
      { matchExpressions: [{ key: 'istio-injection', operator: 'DoesNotExist' }, { key: 'istio.io/rev', operator: 'DoesNotExist' }] },
      { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'In', values: ['true'] }, { key: 'istio.io/rev', operator: 'DoesNotExist' }] },
    ),
    ...revisionWebhooks('default', 'istiod'),
  ],
  '2026-08-20T10:00:00Z',
  null,
);
mwc('istio-sidecar-injector-1-28', { 'istio.io/rev': '1-28' }, revisionWebhooks('1-28', 'istiod-1-28'), '2026-11-21T08:00:00Z', null);

namespace('kube-system');
namespace('istio-system');
namespace('shop', { 'istio-injection': 'enabled' });
namespace('payments', { 'istio.io/rev': '1-28' });
namespace('edge', { 'istio-injection': 'disabled' });

const eastDefault = (image = '1.27.3'): Proxy => ({ revision: 'default', image: `${HUB}/proxyv2:${image}`, native: true });
app({ ns: 'kube-system', kind: 'Deployment', name: 'coredns', replicas: 2, created: '2026-08-20T00:05:00Z', image: 'registry.k8s.io/coredns/coredns:v1.11.3' });
app({ ns: 'istio-system', kind: 'Deployment', name: 'istiod', created: '2026-11-20T09:01:00Z', image: `${HUB}/pilot:1.27.3`, labels: { istio: 'pilot', 'istio.io/rev': 'default', 'sidecar.istio.io/inject': 'false' } });
app({ ns: 'istio-system', kind: 'Deployment', name: 'istiod-1-28', created: '2026-11-21T08:01:00Z', image: `${HUB}/pilot:1.28.0`, labels: { istio: 'pilot', 'istio.io/rev': '1-28', 'sidecar.istio.io/inject': 'false' } });
// shop (istio-injection=enabled -> default).
app({ ns: 'shop', kind: 'Deployment', name: 'cart', replicas: 2, created: '2026-11-22T10:00:00Z', proxy: eastDefault() });
app({ ns: 'shop', kind: 'Deployment', name: 'checkout', created: '2026-11-02T10:00:00Z', proxy: eastDefault('1.27.1') }); // ProxyImageMismatch + StaleTemplate
app({ ns: 'shop', kind: 'Deployment', name: 'frontend', created: '2026-11-22T10:05:00Z', proxy: eastDefault() });
// payments (istio.io/rev=1-28): relabelled from istio-injection=enabled, not restarted yet.
app({ ns: 'payments', kind: 'Deployment', name: 'api', replicas: 2, created: '2026-11-22T11:00:00Z', proxy: eastDefault() }); // RevisionMismatch
// edge (istio-injection=disabled): a pod still carries the proxy from before the opt-out.
app({ ns: 'edge', kind: 'Deployment', name: 'proxy-cache', created: '2026-11-22T12:00:00Z', proxy: eastDefault() }); // UnexpectedSidecar

const eastOut = fileURLToPath(new URL('../demo/east.yaml', import.meta.url));
const eastHeader = '# The second demo cluster of kubectl-inject, context "east" of `--demo --all-contexts` (generated by scripts/generate-demo.ts; do not edit by hand).\n';
writeFileSync(eastOut, eastHeader + yaml.dump({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objects }, { lineWidth: -1, noRefs: true }));
process.stderr.write(`wrote ${objects.length} objects to ${eastOut}\n`);

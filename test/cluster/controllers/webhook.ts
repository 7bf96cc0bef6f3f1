// The sidecar injection webhook, simulated: the MutatingWebhookConfigurations, injector ConfigMaps,
// namespaces and ProxyConfigs currently in the store decide (with the project's own engine) whether
// and by which revision a new pod is injected; an injected pod gets what Istio's injector adds.
import { buildClusterContext, type ClusterContext } from '../../../src/engine/cluster-context.js';
import { decideCached, injectorConfigOf, type Decision, type WebhookVerdict } from '../../../src/engine/decision.js';
import { parseMeshConfig, templatesAddProxy, templatesFor } from '../../../src/engine/injector-config.js';
import { injectRequired } from '../../../src/engine/injector-policy.js';
import { effectiveImageType, expectedProxyImage } from '../../../src/engine/proxy-image.js';
import { addObject, emptyState, podRecord } from '../../../src/cluster/records.js';
import { injectorRefusals } from '../../../src/engine/injection-rejection.js';
import { ApiError } from '../status.js';
import type { ObjectStore } from '../store.js';
import type { RawObject } from '../types.js';

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';
const PROXY = 'istio-proxy';

/** What the injector decided for one pod, and what it did. */
export interface InjectionResult {
  decision: Decision;
  /** 'sidecar' (classic or native), 'gateway', 'proxyless' (templates without a proxy) or 'none'. */
  applied: 'sidecar' | 'gateway' | 'proxyless' | 'none';
  image: string | null;
}

export interface InjectorOptions {
  /** Native sidecars (istio-proxy as an init container with restartPolicy Always), Istio >= 1.28's default. */
  nativeSidecars: boolean;
}

/** The kinds whose changes change decisions. */
export const INJECTION_INPUT_KINDS: ReadonlySet<string> = new Set(['Namespace', 'MutatingWebhookConfiguration', 'ConfigMap', 'ProxyConfig']);

/** Istio's sidecar volumes (pkg/kube/inject templates, 1.24+). */
const VOLUMES: RawObject[] = [
  { name: 'workload-socket', emptyDir: {} },
  { name: 'credential-socket', emptyDir: {} },
  { name: 'workload-certs', emptyDir: {} },
  { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
  { name: 'istio-data', emptyDir: {} },
  {
    name: 'istio-podinfo',
    downwardAPI: {
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      ],
    },
  },
  { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
  { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
  { name: 'istio-ca-crl', configMap: { name: 'istio-ca-crl', optional: true } },
];

const VOLUME_MOUNTS: RawObject[] = [
  { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
  { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
  { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
  { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
  { name: 'istio-data', mountPath: '/var/lib/istio/data' },
  { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
  { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
  { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
];

export class SidecarInjector {
  private context: ClusterContext | null = null;

  constructor(
    /** Where the injection inputs (INJECTION_INPUT_KINDS) are read from. */
    private readonly store: Pick<ObjectStore, 'list'>,
    private readonly options: InjectorOptions,
  ) {}

  /** Forget the cached cluster context (a namespace, webhook, ConfigMap or ProxyConfig changed). */
  invalidate(): void {
    this.context = null;
  }

  private ctx(): ClusterContext {
    if (!this.context) {
      const state = emptyState();
      for (const kind of INJECTION_INPUT_KINDS) for (const object of this.store.list(kind)) addObject(state, object);
      this.context = buildClusterContext(state);
    }
    return this.context;
  }

  /** The engine's decision for a pod about to be created. */
  decide(pod: RawObject): Decision {
    const record = podRecord(pod);
    return decideCached(this.ctx(), { namespace: record.namespace, labels: record.labels, annotations: record.annotations, hostNetwork: record.hostNetwork });
  }

  /** Mutates `pod` (about to be created) as the injecting istiod would; returns what was decided and done. */
  inject(pod: RawObject): InjectionResult {
    const decision = this.decide(pod);
    if (decision.refusal) {
      // RunTemplate failed: the webhook answers allowed: false and the API server refuses the pod.
      const r = decision.refusal;
      throw new ApiError(400, 'BadRequest', `admission webhook "${r.hook.webhook}" denied the request: ${r.rejections.map((x) => x.message).join('; ')}`);
    }
    if (!decision.inject || decision.revision === null) return { decision, applied: 'none', image: null };
    const revision = decision.revision;
    const verdict = decision.injecting.find((v) => v.hook.revision === revision) ?? decision.injecting[0];
    if (!verdict) return { decision, applied: 'none', image: null };
    return this.render(pod, decision, verdict);
  }

  /**
   * What the istiod behind one given webhook does with `pod` when the API server calls that webhook
   * (whoever decided to call it): its injector's policy, then its templates. For a webhook server
   * that the real API server calls. Undefined when no such injection webhook is in the inputs.
   */
  injectAs(pod: RawObject, configuration: string, webhook: string): InjectionResult | undefined {
    const hook = this.ctx().hooks.find((h) => h.configuration === configuration && h.webhook === webhook);
    if (!hook) return undefined;
    const record = podRecord(pod);
    const input = { namespace: record.namespace, labels: record.labels, annotations: record.annotations, hostNetwork: record.hostNetwork };
    const injector = this.ctx().injectors.get(hook.revision);
    const config = injectorConfigOf(injector, hook);
    const verdict: WebhookVerdict = { hook, injector, policy: injectRequired(config, input) };
    const templates = verdict.policy.inject ? templatesFor(config, input.annotations) : [];
    const decision: Decision = {
      inject: verdict.policy.inject,
      revision: verdict.policy.inject ? hook.revision : null,
      reason: verdict.policy.rule,
      matched: [verdict],
      injecting: verdict.policy.inject ? [verdict] : [],
      renderer: verdict.policy.inject ? verdict : null,
      refusal: null,
      templates,
      addsProxy: verdict.policy.inject ? templatesAddProxy(config, templates) : null,
    };
    const rejections = verdict.policy.inject ? injectorRefusals(config, input.annotations) : [];
    if (rejections.length > 0) {
      // RunTemplate fails: the webhook answers allowed: false.
      throw new ApiError(400, 'BadRequest', `admission webhook "${hook.webhook}" denied the request: ${rejections.map((x) => x.message).join('; ')}`);
    }
    if (!decision.inject) return { decision, applied: 'none', image: null };
    return this.render(pod, decision, verdict);
  }

  private render(pod: RawObject, decision: Decision, verdict: WebhookVerdict): InjectionResult {
    const ctx = this.ctx();
    const revision = verdict.hook.revision;
    const injector = ctx.injectors.get(revision) ?? verdict.injector;
    const config = injectorConfigOf(injector, verdict.hook);

    pod.metadata ??= {};
    pod.spec ??= {};
    const meta = pod.metadata as RawObject;
    const spec = pod.spec as RawObject;
    meta.labels ??= {};
    meta.annotations ??= {};
    removePreviousInjection(pod);

    if (decision.addsProxy === false) {
      // Templates without a proxy (proxyless gRPC, custom ones): the pod only records the injection.
      meta.annotations[STATUS_ANNOTATION] = statusAnnotation({ revision, initContainers: null, containers: null, volumes: null });
      return { decision, applied: 'proxyless', image: null };
    }

    const record = podRecord(pod);
    const imageType = effectiveImageType(record.namespace, record.labels, record.annotations, ctx.proxyConfigs, injector?.mesh ?? parseMeshConfig(undefined));
    const image = expectedProxyImage(config, record.annotations, imageType).image ?? `${config.hub || 'docker.io/istio'}/${config.proxyImage}:${config.tag || 'latest'}`;
    const gateway = decision.templates.includes('gateway') && !decision.templates.includes('sidecar');

    const appContainers: RawObject[] = Array.isArray(spec.containers) ? spec.containers : [];
    const appInit: RawObject[] = Array.isArray(spec.initContainers) ? spec.initContainers : [];
    const existingProxy = appContainers.find((c) => c?.name === PROXY);
    const firstApp = appContainers.find((c) => c?.name !== PROXY)?.name as string | undefined;
    let initNames: string[] = [];
    let containerNames: string[] = [];

    if (gateway) {
      // The gateway template: the deployment's own istio-proxy (image: auto) gets the real image.
      const proxy = { ...proxyContainer(image, record.namespace, ['proxy', 'router'], record.annotations), ...(existingProxy ?? {}), image };
      spec.containers = existingProxy ? appContainers.map((c) => (c === existingProxy ? proxy : c)) : [...appContainers, proxy];
      containerNames = [PROXY];
    } else {
      const init: RawObject[] = [];
      if (config.cni) init.push(validationContainer(image));
      else init.push(iptablesContainer(image));
      const proxyArgs = ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'];
      if (existingProxy) {
        // A hand-written istio-proxy container wins over the template (the injector merges it in).
        spec.initContainers = [...init, ...appInit];
        containerNames = [PROXY];
      } else if (this.options.nativeSidecars) {
        const proxy = { ...proxyContainer(image, record.namespace, proxyArgs, record.annotations), restartPolicy: 'Always' };
        init.push(proxy);
        spec.initContainers = [...init, ...appInit];
      } else {
        spec.initContainers = [...init, ...appInit];
        spec.containers = [...appContainers, proxyContainer(image, record.namespace, proxyArgs, record.annotations)];
        containerNames = [PROXY];
      }
      initNames = init.map((c) => String(c.name));
      const present = new Set((Array.isArray(spec.volumes) ? spec.volumes : []).map((v: RawObject) => v?.name));
      spec.volumes = [...(Array.isArray(spec.volumes) ? spec.volumes : []), ...VOLUMES.filter((v) => !present.has(v.name)).map((v) => structuredClone(v))];
      meta.labels['security.istio.io/tlsMode'] = 'istio';
    }

    meta.labels['service.istio.io/canonical-name'] ??= canonicalName(meta);
    meta.labels['service.istio.io/canonical-revision'] ??= meta.labels['app.kubernetes.io/version'] ?? meta.labels.version ?? 'latest';
    meta.annotations[STATUS_ANNOTATION] = statusAnnotation({
      revision,
      initContainers: initNames.length > 0 ? initNames : null,
      containers: containerNames.length > 0 ? containerNames : null,
      volumes: gateway ? null : VOLUMES.map((v) => String(v.name)),
    });
    meta.annotations['istio.io/rev'] = revision;
    if (firstApp !== undefined) meta.annotations['kubectl.kubernetes.io/default-container'] ??= firstApp;
    if (!gateway) {
      meta.annotations['prometheus.io/scrape'] ??= 'true';
      meta.annotations['prometheus.io/port'] ??= '15020';
      meta.annotations['prometheus.io/path'] ??= '/stats/prometheus';
    }
    for (const [k, v] of Object.entries(config.injectedAnnotations)) meta.annotations[k] = v;
    return { decision, applied: gateway ? 'gateway' : 'sidecar', image };
  }
}

function statusAnnotation(status: { revision: string; initContainers: string[] | null; containers: string[] | null; volumes: string[] | null }): string {
  // Field order as istiod writes it.
  return JSON.stringify({
    initContainers: status.initContainers,
    containers: status.containers,
    volumes: status.volumes,
    imagePullSecrets: null,
    revision: status.revision,
  });
}

/** Re-injection: what a previous injection added (listed in its status annotation) is taken out first. */
function removePreviousInjection(pod: RawObject): void {
  const text = pod.metadata?.annotations?.[STATUS_ANNOTATION];
  if (typeof text !== 'string') return;
  let status: RawObject;
  try {
    status = JSON.parse(text) as RawObject;
  } catch {
    return;
  }
  const names = (v: unknown) => new Set(Array.isArray(v) ? v.map(String) : []);
  const spec = pod.spec as RawObject;
  const strip = (list: unknown, drop: Set<string>) => (Array.isArray(list) ? list.filter((c: RawObject) => !drop.has(String(c?.name))) : list);
  spec.initContainers = strip(spec.initContainers, names(status.initContainers));
  spec.containers = strip(spec.containers, names(status.containers));
  spec.volumes = strip(spec.volumes, names(status.volumes));
  for (const field of ['initContainers', 'volumes']) if (Array.isArray(spec[field]) && spec[field].length === 0) delete spec[field];
  delete pod.metadata.annotations[STATUS_ANNOTATION];
}

/** service.istio.io/canonical-name: the label if set, else app.kubernetes.io/name, app, else the workload name. */
function canonicalName(meta: RawObject): string {
  const labels = meta.labels as Record<string, string>;
  const explicit = labels['app.kubernetes.io/name'] ?? labels.app;
  if (explicit) return explicit;
  let name = String(meta.generateName ?? meta.name ?? '').replace(/-$/, '');
  const hash = labels['pod-template-hash'];
  if (hash && name.endsWith(`-${hash}`)) name = name.slice(0, -hash.length - 1);
  else if (labels['statefulset.kubernetes.io/pod-name']) name = name.replace(/-\d+$/, '');
  return name;
}

function resources(annotations: Record<string, string>): RawObject {
  return {
    limits: { cpu: annotations['sidecar.istio.io/proxyCPULimit'] ?? '2', memory: annotations['sidecar.istio.io/proxyMemoryLimit'] ?? '1Gi' },
    requests: { cpu: annotations['sidecar.istio.io/proxyCPU'] ?? '100m', memory: annotations['sidecar.istio.io/proxyMemory'] ?? '128Mi' },
  };
}

function proxyContainer(image: string, namespace: string, args: string[], annotations: Record<string, string>): RawObject {
  return {
    name: PROXY,
    image,
    args,
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      { name: 'INSTANCE_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
      { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.serviceAccountName' } } },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
      { name: 'TRUST_DOMAIN', value: 'cluster.local' },
      { name: 'ISTIO_META_POD_NAMESPACE', value: namespace },
    ],
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' }, periodSeconds: 15, timeoutSeconds: 3, failureThreshold: 4 },
    resources: resources(annotations),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
    },
    volumeMounts: VOLUME_MOUNTS.map((m) => ({ ...m })),
  };
}

function iptablesContainer(image: string): RawObject {
  return {
    name: 'istio-init',
    image,
    args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--log_output_level=default:info'],
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '10m', memory: '40Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

/** With Istio CNI the init container only validates the redirection the CNI plugin set up. */
function validationContainer(image: string): RawObject {
  return {
    name: 'istio-validation',
    image,
    args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '--run-validation', '--skip-rule-apply'],
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 },
  };
}

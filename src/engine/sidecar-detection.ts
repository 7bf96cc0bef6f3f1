// What a pod actually runs: the istio-proxy container (classic sidecar) or init container with
// restartPolicy Always (native sidecar), its image, the injecting revision, and whether the pod went
// through the injector at all (sidecar.istio.io/status).
import type { Finding, PodRecord } from './types.js';
import { cached } from './bounded-cache.js';

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';
export const PROXY_CONTAINER = 'istio-proxy';

export type ProxyMode = 'sidecar' | 'native-sidecar' | 'gateway' | 'ambient' | 'none';

export const MANAGED_GATEWAY_LABEL = 'gateway.istio.io/managed';
export const REDIRECTION_ANNOTATION = 'ambient.istio.io/redirection';

export interface InjectionStatus {
  revision?: string;
  initContainers?: string[] | null;
  containers?: string[] | null;
  volumes?: string[] | null;
  version?: string;
}

export interface ActualState {
  injected: boolean;
  revision: string | null;
  image: string | null;
  mode: ProxyMode;
  viaInjector: boolean;
  /** The proxy comes from the workload template itself (istioctl kube-inject or hand-written) and no webhook re-injects it. */
  manual: boolean;
  /** Captured by ambient (annotation ambient.istio.io/redirection=enabled). */
  ambient: boolean;
  /** ambient.istio.io/redirection=pending: ambient capture is in progress (partial). */
  ambientPending?: boolean;
  /** Templates listed by the status annotation did not add a proxy (proxyless gRPC, custom templates). */
  proxyless: boolean;
}

export interface DetectedProxy {
  mode: ProxyMode;
  image: string | null;
}

/** `image: auto` is the placeholder the injector replaces (gateway and proxy-override templates). */
export const AUTO_IMAGE = 'auto';

function runsProxy(image: string | null): image is string {
  return Boolean(image) && image !== AUTO_IMAGE;
}

/**
 * FindSidecar: containers first, then init containers (whatever their restartPolicy; the injector
 * always sets Always); like the analyzers (hasIstioProxy) a proxy needs a real image: none, or the
 * `auto` placeholder left in place, runs no proxy.
 */
export function findProxy(pod: Pick<PodRecord, 'containers' | 'initContainers'>): DetectedProxy {
  const regular = pod.containers.find((c) => c.name === PROXY_CONTAINER);
  if (regular && runsProxy(regular.image)) return { mode: 'sidecar', image: regular.image };
  const init = pod.initContainers.find((c) => c.name === PROXY_CONTAINER);
  if (init && runsProxy(init.image)) return { mode: 'native-sidecar', image: init.image };
  return { mode: 'none', image: null };
}

/** An istio-proxy container still carrying `image: auto`: the pod was meant to be injected and was not. */
export function hasAutoImagePlaceholder(pod: Pick<PodRecord, 'containers' | 'initContainers'>): boolean {
  return [...pod.containers, ...pod.initContainers].some((c) => c.name === PROXY_CONTAINER && c.image === AUTO_IMAGE);
}

/** Parsed status annotations by text: the replicas of a workload carry the same one. Bounded. */
const parsedStatus = new Map<string, InjectionStatus | string>();

/** The annotation's JSON object, or why it is not one. The object is shared: never modify it. */
export function parseStatusAnnotation(value: string): InjectionStatus | string {
  return cached(parsedStatus, value, 4096, () => parseStatusText(value));
}

function parseStatusText(value: string): InjectionStatus | string {
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
    return parsed as InjectionStatus;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export interface DetectionContext {
  /** The owning workload's pod template, when known. */
  template: PodRecord | null;
  /**
   * A webhook would inject the pod now. The webhook has no "already injected" skip: it strips what an
   * earlier injection (sidecar.istio.io/status) added and renders again, merging a user-written
   * istio-proxy over its own. So a proxy from the workload template is only manual when no webhook injects.
   */
  reinjected?: boolean;
}

/**
 * A gateway or waypoint whose proxy is the workload itself: the gateway chart's Deployments and the ones
 * istiod renders (kube-gateway.yaml, waypoint.yaml) run istio-proxy with `proxy router|waypoint`, carry no
 * sidecar.istio.io/status (no webhook touched them), and istiod's carry gateway.istio.io/managed.
 * Gateways injected with the `gateway` template have a status and are audited like sidecars.
 */
export function isOwnProxyGateway(pod: Pick<PodRecord, 'containers' | 'labels' | 'annotations'>): boolean {
  if (pod.annotations[STATUS_ANNOTATION] !== undefined) return false;
  const proxy = pod.containers.find((c) => c.name === PROXY_CONTAINER);
  if (!proxy || !runsProxy(proxy.image)) return false;
  return proxy.proxyRole === 'router' || proxy.proxyRole === 'waypoint' || pod.labels[MANAGED_GATEWAY_LABEL] !== undefined;
}

/** The image a user-written istio-proxy in the workload template keeps through injection (any but `auto`). */
export function templateKeptImage(template: PodRecord | null): string | null {
  if (!template || template.annotations[STATUS_ANNOTATION] !== undefined) return null;
  const own = [...template.containers, ...template.initContainers].find((c) => c.name === PROXY_CONTAINER);
  return own && runsProxy(own.image) ? own.image : null;
}

export function detectActual(pod: PodRecord, ctx: DetectionContext): { actual: ActualState; findings: Finding[] } {
  const findings: Finding[] = [];
  const proxy = findProxy(pod);
  const statusText = pod.annotations[STATUS_ANNOTATION];
  let status: InjectionStatus | null = null;
  if (statusText === undefined && hasAutoImagePlaceholder(pod)) {
    findings.push({
      code: 'ProxyImageAuto',
      severity: 'error',
      message: 'istio-proxy has image "auto", the placeholder the injector replaces, but the pod was not injected: it runs no proxy (enable injection for it, e.g. for a gateway)',
    });
  }
  if (statusText !== undefined) {
    const parsed = parseStatusAnnotation(statusText);
    if (typeof parsed === 'string') {
      findings.push({
        code: 'InvalidStatusAnnotation',
        severity: 'warning',
        message: `annotation ${STATUS_ANNOTATION} is not valid JSON (${parsed}); the injecting revision is unknown`,
      });
    } else status = parsed;
  }

  const gateway = isOwnProxyGateway(pod);
  const templateProxy = ctx.template ? findProxy(ctx.template) : { mode: 'none' as ProxyMode };
  const templateStatus = ctx.template ? ctx.template.annotations[STATUS_ANNOTATION] !== undefined : false;
  const fromTemplate = proxy.mode !== 'none' && (templateProxy.mode !== 'none' || templateStatus || statusText === undefined);
  const manual = fromTemplate && !ctx.reinjected && !gateway;
  const viaInjector = statusText !== undefined && !manual;

  let revision: string | null = null;
  if (proxy.mode !== 'none' || statusText !== undefined) {
    if (status && typeof status.revision === 'string' && status.revision) revision = status.revision;
    else if (pod.annotations['istio.io/rev']) revision = pod.annotations['istio.io/rev'] as string;
    // Up to 1.10 the template set the label istio.io/rev to the injecting revision itself.
    else if (pod.labels['istio.io/rev']) revision = pod.labels['istio.io/rev'] as string;
    else if (status) revision = 'default';
  }

  const redirection = pod.annotations[REDIRECTION_ANNOTATION];
  const ambient = redirection === 'enabled';
  const proxyless = viaInjector && proxy.mode === 'none';
  const mode: ProxyMode = gateway ? 'gateway' : proxy.mode === 'none' && ambient ? 'ambient' : proxy.mode;
  return {
    actual: {
      injected: proxy.mode !== 'none',
      revision,
      image: proxy.image,
      mode,
      viaInjector,
      manual,
      ambient,
      ...(redirection === 'pending' ? { ambientPending: true } : {}),
      proxyless,
    },
    findings,
  };
}

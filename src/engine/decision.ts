// The injection decision for a pod (or a pod template): the API server calls the matching Istio
// webhooks in order; the first whose istiod says yes (injectRequired) injects.
import { namespaceOf, type ClusterContext, type Injector } from './cluster-context.js';
import { assumedInjectorConfig, setVersion, TEMPLATES_ANNOTATION, templatesAddProxy, templatesFor, type InjectorConfig } from './injector-config.js';
import { injectorRefusals, type Rejection } from './injection-rejection.js';
import { injectRequired, INJECT_KEY, type PolicyDecision } from './injector-policy.js';
import { ALL_VALIDATED_ANNOTATIONS } from './version-rules.js';
import { namespaceSelectorLabels, webhookMatches, type InjectionWebhook } from './webhook-matching.js';
import type { Labels } from './types.js';
import { cached } from './bounded-cache.js';

export interface PodInput {
  namespace: string;
  labels: Labels;
  annotations: Labels;
  hostNetwork: boolean;
}

export interface WebhookVerdict {
  hook: InjectionWebhook;
  injector: Injector | undefined;
  policy: PolicyDecision;
}

export interface Decision {
  inject: boolean;
  /** The istiod revision that would inject, null when nothing would. */
  revision: string | null;
  reason: string;
  /** Matching webhooks in call order, each with its injector's verdict. */
  matched: WebhookVerdict[];
  /**
   * Webhooks that would inject, in call order. Each later istiod re-injects over the earlier one (it
   * re-renders its template and overwrites sidecar.istio.io/status), so the last to render decides:
   * the last one called, or an earlier one with reinvocationPolicy IfNeeded that the API server calls again.
   */
  injecting: WebhookVerdict[];
  /** The webhook whose injector renders last (decides the revision), when one injects. */
  renderer: WebhookVerdict | null;
  /** An injector that would inject refuses the pod: the API server does not create it. */
  refusal: Refusal | null;
  /** Templates the injecting revision renders, and whether they add a proxy (null = unknown). */
  templates: string[];
  addsProxy: boolean | null;
}

export interface Refusal {
  hook: InjectionWebhook;
  configMap: string;
  /** e.g. "istiod 1.26.2 (pre-1.27 rules)". */
  rules: string;
  rejections: Rejection[];
}

export function injectorConfigOf(injector: Injector | undefined, hook: InjectionWebhook): InjectorConfig {
  if (injector?.config) return injector.config;
  const assumed = assumedInjectorConfig(`${hook.istioNamespace}/${injector?.configMapName ?? 'istio-sidecar-injector'}`, hook.revision);
  if (injector?.version) setVersion(assumed, injector.version);
  return assumed;
}

/** The annotations a decision reads. */
const DECISION_ANNOTATIONS: readonly string[] = [INJECT_KEY, TEMPLATES_ANNOTATION, ...ALL_VALIDATED_ANNOTATIONS];

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** What a decision depends on: the namespace, hostNetwork, and the labels and annotations it reads. */
function shapeKey(ctx: ClusterContext, pod: PodInput): string {
  let key = `${pod.namespace}\u0000${pod.hostNetwork ? 1 : 0}`;
  for (const k of ctx.decisionLabelKeys) if (hasOwn(pod.labels, k)) key += `\u0000${k}=${pod.labels[k]}`;
  for (const a of DECISION_ANNOTATIONS) if (hasOwn(pod.annotations, a)) key += `\u0001${a}=${pod.annotations[a]}`;
  return key;
}

/**
 * decide(), cached by pod shape: pods that agree on everything a decision reads share one decision
 * (and its strings), so a cluster has about as many decisions as namespaces, not as pods.
 */
export function decideCached(ctx: ClusterContext, pod: PodInput): Decision {
  return cached(ctx.decisions, shapeKey(ctx, pod), 50_000, () => decide(ctx, pod));
}

export function decide(ctx: ClusterContext, pod: PodInput): Decision {
  const ns = namespaceOf(ctx, pod.namespace);
  const nsLabels = namespaceSelectorLabels(ns.name, ns.labels);
  const matched: WebhookVerdict[] = [];
  for (const hook of ctx.hooks) {
    if (!webhookMatches(hook, nsLabels, pod.labels)) continue;
    const injector = ctx.injectors.get(hook.revision);
    matched.push({ hook, injector, policy: injectRequired(injectorConfigOf(injector, hook), pod) });
  }
  const injecting = matched.filter((m) => m.policy.inject);
  const refusal = firstRefusal(injecting, pod);
  const winner = lastRenderer(injecting);
  if (winner) {
    const config = injectorConfigOf(winner.injector, winner.hook);
    const templates = templatesFor(config, pod.annotations);
    const via = winner.hook.tag ? ` (tag ${winner.hook.tag})` : '';
    const assumed = config.parsed ? '' : `; ${config.configMap} unreadable, policy "enabled" assumed`;
    const again = winner !== injecting[injecting.length - 1] ? ' (reinvocationPolicy IfNeeded: called again after a later injector, it renders last)' : '';
    const refused = refusal
      ? `; but istiod ${refusal.hook.revision} refuses the pod (${refusal.rejections[0]!.message}), so the API server will not create it`
      : '';
    return {
      inject: true,
      revision: winner.hook.revision,
      reason: `webhook ${winner.hook.webhook} of ${winner.hook.configuration}${via} matches${again}; revision ${winner.hook.revision}: ${winner.policy.rule}${assumed}${refused}`,
      matched,
      injecting,
      renderer: winner,
      refusal,
      templates,
      addsProxy: templatesAddProxy(config, templates),
    };
  }
  const first = matched[0];
  if (first) {
    return {
      inject: false,
      revision: null,
      reason: `webhook ${first.hook.webhook} of ${first.hook.configuration} matches but revision ${first.hook.revision} declines: ${first.policy.rule}`,
      matched,
      injecting,
      renderer: null,
      refusal: null,
      templates: [],
      addsProxy: null,
    };
  }
  return {
    inject: false,
    revision: null,
    reason: ctx.hooks.length === 0 ? 'no sidecar injection webhook in the cluster' : noMatchReason(ns.labels, pod.labels),
    matched,
    injecting,
    renderer: null,
    refusal: null,
    templates: [],
    addsProxy: null,
  };
}

/** The first injector, in call order, that would refuse the pod (every injecting webhook runs its template). */
function firstRefusal(injecting: WebhookVerdict[], pod: PodInput): Refusal | null {
  for (const m of injecting) {
    const config = injectorConfigOf(m.injector, m.hook);
    const rejections = injectorRefusals(config, pod.annotations);
    if (rejections.length > 0) return { hook: m.hook, configMap: config.configMap, rules: config.rules.label, rejections };
  }
  return null;
}

/**
 * Which injecting webhook renders last. The API server calls every matching webhook once, in order; when
 * one changes the pod, the webhooks with reinvocationPolicy IfNeeded called before it are called once
 * more, in order, after the first pass. An injection changes the pod unless the same revision already
 * rendered it.
 */
export function lastRenderer(injecting: WebhookVerdict[]): WebhookVerdict | null {
  let current: string | null = null;
  let last: WebhookVerdict | null = null;
  const reinvocable: WebhookVerdict[] = [];
  const again = new Set<WebhookVerdict>();
  for (const m of injecting) {
    if (m.hook.revision !== current) {
      current = m.hook.revision;
      last = m;
      for (const r of reinvocable) again.add(r);
    }
    if (m.hook.reinvocationPolicy === 'IfNeeded') reinvocable.push(m);
  }
  for (const m of injecting) {
    if (!again.has(m)) continue;
    if (m.hook.revision !== current) {
      current = m.hook.revision;
      last = m;
    }
  }
  return last;
}

function noMatchReason(nsLabels: Labels, podLabels: Labels): string {
  const inj = nsLabels['istio-injection'];
  if (inj !== undefined && inj !== 'enabled') return `namespace label istio-injection=${inj} blocks every injection webhook`;
  if (podLabels['sidecar.istio.io/inject'] === 'false') return 'pod label sidecar.istio.io/inject=false excludes it from every injection webhook';
  if (nsLabels['istio.io/rev'] !== undefined) return `no injection webhook serves namespace revision istio.io/rev=${nsLabels['istio.io/rev']}`;
  if (inj === undefined && podLabels['istio.io/rev'] !== undefined) return `no injection webhook serves pod revision istio.io/rev=${podLabels['istio.io/rev']}`;
  return 'no injection webhook selects this namespace or pod (namespace has no istio-injection=enabled or istio.io/rev label)';
}

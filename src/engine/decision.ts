// The injection decision for a pod (or a pod template): the API server calls the matching Istio
// webhooks in order; the first whose istiod says yes (injectRequired) injects.
import { namespaceOf, type ClusterContext, type Injector } from './cluster-context.js';
import { assumedInjectorConfig, templatesAddProxy, templatesFor, type InjectorConfig } from './injector-config.js';
import { injectRequired, type PolicyDecision } from './injector-policy.js';
import { namespaceSelectorLabels, webhookMatches, type InjectionWebhook } from './webhook-matching.js';
import type { Labels } from './types.js';

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
   * re-renders its template and overwrites sidecar.istio.io/status), so the last one decides.
   */
  injecting: WebhookVerdict[];
  /** Templates the injecting revision renders, and whether they add a proxy (null = unknown). */
  templates: string[];
  addsProxy: boolean | null;
}

export function injectorConfigOf(injector: Injector | undefined, hook: InjectionWebhook): InjectorConfig {
  if (injector?.config) return injector.config;
  return assumedInjectorConfig(`${hook.istioNamespace}/${injector?.configMapName ?? 'istio-sidecar-injector'}`, hook.revision);
}

/** The annotations a decision reads. */
const DECISION_ANNOTATIONS = ['sidecar.istio.io/inject', 'inject.istio.io/templates'] as const;

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
  const key = shapeKey(ctx, pod);
  let decision = ctx.decisions.get(key);
  if (!decision) {
    decision = decide(ctx, pod);
    if (ctx.decisions.size > 50_000) ctx.decisions.clear();
    ctx.decisions.set(key, decision);
  }
  return decision;
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
  const winner = injecting[injecting.length - 1];
  if (winner) {
    const config = injectorConfigOf(winner.injector, winner.hook);
    const templates = templatesFor(config, pod.annotations);
    const via = winner.hook.tag ? ` (tag ${winner.hook.tag})` : '';
    const assumed = config.parsed ? '' : `; ${config.configMap} unreadable, policy "enabled" assumed`;
    return {
      inject: true,
      revision: winner.hook.revision,
      reason: `webhook ${winner.hook.webhook} of ${winner.hook.configuration}${via} matches; revision ${winner.hook.revision}: ${winner.policy.rule}${assumed}`,
      matched,
      injecting,
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
    templates: [],
    addsProxy: null,
  };
}

function noMatchReason(nsLabels: Labels, podLabels: Labels): string {
  const inj = nsLabels['istio-injection'];
  if (inj !== undefined && inj !== 'enabled') return `namespace label istio-injection=${inj} blocks every injection webhook`;
  if (podLabels['sidecar.istio.io/inject'] === 'false') return 'pod label sidecar.istio.io/inject=false excludes it from every injection webhook';
  if (nsLabels['istio.io/rev'] !== undefined) return `no injection webhook serves namespace revision istio.io/rev=${nsLabels['istio.io/rev']}`;
  if (inj === undefined && podLabels['istio.io/rev'] !== undefined) return `no injection webhook serves pod revision istio.io/rev=${podLabels['istio.io/rev']}`;
  return 'no injection webhook selects this namespace or pod (namespace has no istio-injection=enabled or istio.io/rev label)';
}

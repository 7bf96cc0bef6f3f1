// Gate 1: would the API server call an Istio injection webhook for this pod?
// Kubernetes calls every mutating webhook whose rules cover CREATE of v1 pods and whose
// namespaceSelector (namespace labels, incl. kubernetes.io/metadata.name) and objectSelector
// (pod labels) both match, configurations in name order, webhooks in listed order.
import {
  compileSelector,
  explainSelector,
  selectorMatches,
  type CompiledSelector,
  type RequirementResult,
} from './label-selector.js';
import type { Finding, Labels, RuleRecord, WebhookConfigurationRecord, WebhookRecord } from './types.js';

/** Istio's injection webhooks are named *.sidecar-injector.istio.io; istioctl x check-inject accepts any *istio.io. */
export const INJECTION_WEBHOOK_SUFFIX = 'istio.io';
export const DEACTIVATED_LABEL = 'istio.io/deactivated';

export interface InjectionWebhook {
  configuration: string;
  webhook: string;
  /** The istiod revision that serves this webhook (a tag is resolved to its revision). */
  revision: string;
  /** The revision tag, when the configuration is a revision-tag webhook. */
  tag: string | null;
  /** The namespace of the istiod service (where its injector ConfigMap lives). */
  istioNamespace: string;
  interceptsPodCreate: boolean;
  deactivated: boolean;
  /** Never (Istio's chart default) or IfNeeded (sidecarInjectorWebhook.reinvocationPolicy). */
  reinvocationPolicy: 'Never' | 'IfNeeded';
  /** clientConfig.url and no service: the istiod it calls runs outside this cluster (remote profile). */
  url: string | null;
  namespaceSelector: CompiledSelector;
  objectSelector: CompiledSelector;
  lastChange: string | null;
  findings: Finding[];
}

export interface SelectorEvaluation {
  matched: boolean;
  valid: boolean;
  error?: string;
  requirements: RequirementResult[];
}

export interface WebhookEvaluation {
  webhook: InjectionWebhook;
  matched: boolean;
  namespaceSelector: SelectorEvaluation;
  objectSelector: SelectorEvaluation;
}

/** Does one admission rule intercept CREATE of core/v1 pods (wildcards included)? */
export function ruleInterceptsPodCreate(rule: RuleRecord): boolean {
  const has = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === value || v === '*');
  const resources = rule.resources ?? [];
  const coversPods = resources.some((r) => r === 'pods' || r === '*' || r === '*/*');
  const scopeOk = rule.scope === undefined || rule.scope === null || rule.scope === '*' || rule.scope === 'Namespaced';
  return has(rule.operations, 'CREATE') && has(rule.apiGroups, '') && has(rule.apiVersions, 'v1') && coversPods && scopeOk;
}

export function isInjectionWebhookName(name: string): boolean {
  return name.endsWith(INJECTION_WEBHOOK_SUFFIX);
}

function isNeverMatch(selector: CompiledSelector): boolean {
  return (
    selector.valid &&
    selector.requirements.some((r) => r.key === DEACTIVATED_LABEL && r.operator === 'In' && r.values.includes('never-match'))
  );
}

/** The revision a configuration serves: its istio.io/rev label, else from the service name istiod-REV. */
function revisionOf(config: WebhookConfigurationRecord, hook: WebhookRecord): string {
  const label = config.labels['istio.io/rev'];
  if (label) return label;
  const service = hook.service?.name ?? '';
  const m = /^istiod-(.+)$/.exec(service);
  return m ? (m[1] as string) : 'default';
}

/** Recognises the Istio injection webhooks among all mutating webhook configurations. */
export function collectInjectionWebhooks(configs: WebhookConfigurationRecord[]): InjectionWebhook[] {
  const sorted = [...configs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const result: InjectionWebhook[] = [];
  for (const config of sorted) {
    for (const hook of config.webhooks ?? []) {
      if (!isInjectionWebhookName(hook.name)) continue;
      const namespaceSelector = compileSelector(hook.namespaceSelector);
      const objectSelector = compileSelector(hook.objectSelector);
      const findings: Finding[] = [];
      for (const [which, sel] of [
        ['namespaceSelector', namespaceSelector],
        ['objectSelector', objectSelector],
      ] as const) {
        if (!sel.valid) {
          findings.push({
            code: 'InvalidSelector',
            severity: 'error',
            object: `mutatingwebhookconfiguration/${config.name}`,
            message: `webhook ${hook.name} in ${config.name}: ${which} is invalid (${sel.error}); it matches nothing`,
          });
        }
      }
      result.push({
        configuration: config.name,
        webhook: hook.name,
        revision: revisionOf(config, hook),
        tag: config.labels['istio.io/tag'] ?? null,
        istioNamespace: hook.service?.namespace ?? 'istio-system',
        interceptsPodCreate: (hook.rules ?? []).some(ruleInterceptsPodCreate),
        reinvocationPolicy: hook.reinvocationPolicy === 'IfNeeded' ? 'IfNeeded' : 'Never',
        url: hook.service ? null : hook.url,
        deactivated: isNeverMatch(namespaceSelector) || isNeverMatch(objectSelector),
        namespaceSelector,
        objectSelector,
        lastChange: config.lastChange,
        findings,
      });
    }
  }
  return result;
}

/** The labels the API server evaluates a namespaceSelector against. */
export function namespaceSelectorLabels(name: string, labels: Labels): Labels {
  return { ...labels, 'kubernetes.io/metadata.name': name };
}

function evaluateSelector(selector: CompiledSelector, labels: Labels): SelectorEvaluation {
  if (!selector.valid) return { matched: false, valid: false, error: selector.error, requirements: [] };
  return { matched: selectorMatches(selector, labels), valid: true, requirements: explainSelector(selector, labels) };
}

/** Fast check used for audits. */
export function webhookMatches(hook: InjectionWebhook, nsLabels: Labels, podLabels: Labels): boolean {
  return (
    hook.interceptsPodCreate &&
    selectorMatches(hook.namespaceSelector, nsLabels) &&
    selectorMatches(hook.objectSelector, podLabels)
  );
}

/** Full evaluation with every requirement's outcome, for explanations. */
export function evaluateWebhook(hook: InjectionWebhook, nsLabels: Labels, podLabels: Labels): WebhookEvaluation {
  const namespaceSelector = evaluateSelector(hook.namespaceSelector, nsLabels);
  const objectSelector = evaluateSelector(hook.objectSelector, podLabels);
  return {
    webhook: hook,
    matched: hook.interceptsPodCreate && namespaceSelector.matched && objectSelector.matched,
    namespaceSelector,
    objectSelector,
  };
}

/**
 * Values of istio.io/rev that some active webhook selects on (namespace label or pod label),
 * each mapped to the istiod revision that serves it: revisions and revision tags alike.
 */
export function servedRevisions(hooks: InjectionWebhook[]): Map<string, string> {
  const served = new Map<string, string>();
  for (const h of hooks) {
    if (h.deactivated) continue;
    for (const sel of [h.namespaceSelector, h.objectSelector]) {
      if (!sel.valid) continue;
      for (const req of sel.requirements) {
        if (req.key === 'istio.io/rev' && req.operator === 'In') for (const v of req.values) served.set(v, h.revision);
      }
    }
  }
  return served;
}

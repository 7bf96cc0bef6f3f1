// Gate 2: the injector's policy rule, Istio's injectRequired (pkg/kube/inject/inject.go), in its order.
// The first rule that decides wins; every rule evaluated is recorded as a step for explanations.
import { selectorMatches, formatSelector } from './label-selector.js';
import type { InjectorConfig } from './injector-config.js';
import { readInjectValue } from './version-rules.js';
import type { Labels } from './types.js';

/** IgnoredNamespaces (pkg/kube/inject/initializer.go). istio-system is not among them. */
export const IGNORED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

export const INJECT_KEY = 'sidecar.istio.io/inject';

export interface PolicyStep {
  check: string;
  result: string;
  decisive: boolean;
}

export interface PolicyDecision {
  inject: boolean;
  /** The rule that decided, in a few words. */
  rule: string;
  steps: PolicyStep[];
}

export interface PolicyInput {
  namespace: string;
  hostNetwork: boolean;
  labels: Labels;
  annotations: Labels;
}

/** The explicit opt-in/out value: the label, if present at all, replaces the annotation. */
export function explicitInjectValue(labels: Labels, annotations: Labels): { value: string | undefined; from: 'label' | 'annotation' | null } {
  if (Object.prototype.hasOwnProperty.call(labels, INJECT_KEY)) return { value: labels[INJECT_KEY], from: 'label' };
  if (Object.prototype.hasOwnProperty.call(annotations, INJECT_KEY)) return { value: annotations[INJECT_KEY], from: 'annotation' };
  return { value: undefined, from: null };
}

export function injectRequired(config: InjectorConfig, pod: PolicyInput): PolicyDecision {
  const steps: PolicyStep[] = [];
  const decide = (inject: boolean, rule: string): PolicyDecision => {
    const last = steps[steps.length - 1];
    if (last) last.decisive = true;
    return { inject, rule, steps };
  };

  if (pod.hostNetwork) {
    steps.push({ check: 'spec.hostNetwork', result: 'true: pods on the host network are never injected', decisive: false });
    return decide(false, 'hostNetwork pods are never injected');
  }
  steps.push({ check: 'spec.hostNetwork', result: 'false', decisive: false });

  if (IGNORED_NAMESPACES.has(pod.namespace)) {
    steps.push({ check: 'ignored namespaces', result: `namespace ${pod.namespace} is one the injector always skips`, decisive: false });
    return decide(false, `namespace ${pod.namespace} is ignored by the injector`);
  }
  steps.push({ check: 'ignored namespaces', result: `${pod.namespace} is not ignored`, decisive: false });

  const explicit = explicitInjectValue(pod.labels, pod.annotations);
  let useDefault = true;
  let inject = false;
  const where = explicit.from === 'label' ? `label ${INJECT_KEY}` : `annotation ${INJECT_KEY}`;
  const rules = config.rules;
  const reading = explicit.value === undefined ? 'unset' : readInjectValue(rules, explicit.value);
  const shown = JSON.stringify(explicit.value);
  if (explicit.value === undefined) {
    steps.push({ check: INJECT_KEY, result: 'not set: use the default', decisive: false });
  } else if (reading === 'in') {
    inject = true;
    useDefault = false;
    const literal = explicit.value === 'true' ? '' : ` (${rules.label}: "y", "yes", "true" and "on" in any case opt in)`;
    steps.push({ check: INJECT_KEY, result: `${where}=${shown}: explicit opt-in${literal}`, decisive: false });
  } else if (reading === 'out') {
    useDefault = false;
    const literal = explicit.value === 'false' ? '' : ` (${rules.label}: any value other than "", y/yes/true/on opts out)`;
    steps.push({ check: INJECT_KEY, result: `${where}=${shown}: explicit opt-out${literal}`, decisive: false });
  } else if (explicit.value === '') {
    steps.push({ check: INJECT_KEY, result: `${where}="": treated as unset: use the default`, decisive: false });
  } else {
    steps.push({
      check: INJECT_KEY,
      result: `${where}=${shown} is neither "true" nor "false": treated as unset (${rules.label})`,
      decisive: false,
    });
  }

  if (useDefault) {
    const never = config.neverInjectSelector.findIndex((s) => s.compiled.valid && !s.compiled.empty && selectorMatches(s.compiled, pod.labels));
    if (never >= 0) {
      steps.push({
        check: 'neverInjectSelector',
        result: `entry ${never} (${formatSelector(config.neverInjectSelector[never]!.compiled)}) matches the pod labels`,
        decisive: false,
      });
      useDefault = false;
      inject = false;
    } else {
      steps.push({ check: 'neverInjectSelector', result: config.neverInjectSelector.length ? 'no entry matches' : 'empty', decisive: false });
      const always = config.alwaysInjectSelector.findIndex((s) => s.compiled.valid && !s.compiled.empty && selectorMatches(s.compiled, pod.labels));
      if (always >= 0) {
        steps.push({
          check: 'alwaysInjectSelector',
          result: `entry ${always} (${formatSelector(config.alwaysInjectSelector[always]!.compiled)}) matches the pod labels`,
          decisive: false,
        });
        useDefault = false;
        inject = true;
      } else {
        steps.push({ check: 'alwaysInjectSelector', result: config.alwaysInjectSelector.length ? 'no entry matches' : 'empty', decisive: false });
      }
    }
  }

  const policy = config.policy;
  if (policy === 'enabled' || policy === 'disabled') {
    if (useDefault) {
      steps.push({ check: 'policy', result: `${policy}: pods without an explicit choice are ${policy === 'enabled' ? 'injected' : 'not injected'}`, decisive: false });
      return decide(policy === 'enabled', `injector policy is ${policy}`);
    }
    // The explicit value or a selector decided; the policy only confirms it.
    const decisiveIndex = steps.length - 1;
    steps.push({ check: 'policy', result: `${policy}: the choice above applies`, decisive: false });
    const decisiveStep = [...steps.slice(0, decisiveIndex + 1)].reverse().find((s) => /matches the pod labels|explicit opt/.test(s.result));
    if (decisiveStep) decisiveStep.decisive = true;
    return {
      inject,
      rule: decisiveStep ? `${decisiveStep.check}: ${decisiveStep.result}` : `injector policy is ${policy}`,
      steps,
    };
  }
  steps.push({
    check: 'policy',
    result: `${JSON.stringify(policy)} is illegal (only "enabled" or "disabled"): injection disabled for every pod`,
    decisive: false,
  });
  return decide(false, `injector policy ${JSON.stringify(policy)} is illegal, so istiod injects nothing`);
}

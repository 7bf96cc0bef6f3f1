// Pods the injector refuses: RunTemplate (pkg/kube/inject/inject.go) fails, the webhook answers
// allowed: false, and the API server does not create the pod (whatever the failurePolicy). In Istio's
// order: validateAnnotations (every failing annotation is reported), then each selected template must
// exist. Only meaningful where a webhook would inject the pod.
import { VALIDATORS } from './annotation-validation.js';
import { renderableTemplates, TEMPLATES_ANNOTATION, templatesFor, type InjectorConfig } from './injector-config.js';
import type { Labels } from './types.js';

export interface Rejection {
  /** The annotation at fault (a bad value, or inject.istio.io/templates naming a missing template). */
  annotation: string | null;
  value: string | null;
  /** The rule, in a few words: "validateAnnotations", "template not found". */
  rule: string;
  /** Istio's error, as the webhook would put it. */
  message: string;
}

/** Why this injector would refuse a pod with these annotations; empty when it accepts it. */
export function injectorRefusals(config: InjectorConfig, annotations: Labels): Rejection[] {
  const out: Rejection[] = [];
  const validated = config.rules.validatedAnnotations;
  for (const name of Object.keys(annotations).sort()) {
    if (!validated.has(name)) continue;
    const value = annotations[name] as string;
    const error = VALIDATORS[name]?.(value);
    if (error) {
      out.push({
        annotation: name,
        value,
        rule: 'validateAnnotations',
        message: `invalid value '${value}' for annotation '${name}': ${error}`,
      });
    }
  }
  if (out.length > 0) return out;
  // Templates are only known when the ConfigMap parsed (an assumed configuration has none listed). An
  // istiod older than 1.10 with only the legacy `template:` renders it for every pod (no named templates).
  if (!config.parsed) return out;
  if (config.rules.legacyTemplate && config.templates.size === 0) return out;
  const known = renderableTemplates(config);
  const requested = annotations[TEMPLATES_ANNOTATION];
  for (const name of templatesFor(config, annotations)) {
    if (known.has(name)) continue;
    const have = [...known.keys()].sort().join(', ');
    const legacy = config.legacyTemplate !== null && !config.rules.legacyTemplate ? ` (only the legacy single \`template:\` is set, which ${config.rules.label} no longer renders)` : '';
    out.push({
      annotation: requested !== undefined ? TEMPLATES_ANNOTATION : null,
      value: requested ?? null,
      rule: requested !== undefined ? 'template not found' : 'default template not found',
      message: `requested template ${JSON.stringify(name)} not found; have ${have || 'none'}${requested === undefined ? ` (defaultTemplates of ${config.configMap})` : ''}${legacy}`,
    });
    break;
  }
  return out;
}

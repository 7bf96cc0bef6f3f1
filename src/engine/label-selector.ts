// Kubernetes label selectors (metav1.LabelSelector) with the API machinery's semantics:
// matchLabels and matchExpressions are AND-ed; NotIn and DoesNotExist match an absent key;
// an empty selector matches everything. Compiled once, evaluated many times.
import type { LabelSelector, LabelSelectorRequirement, Labels } from './types.js';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export interface RequirementResult extends Requirement {
  matched: boolean;
  /** The label's value on the object, or null when absent. */
  actual: string | null;
}

export type CompiledSelector =
  | { valid: true; requirements: Requirement[]; empty: boolean }
  | { valid: false; error: string };

const OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** metav1.LabelSelectorAsSelector, including its validation errors. */
export function compileSelector(selector: LabelSelector | null | undefined): CompiledSelector {
  if (selector === null || selector === undefined) return { valid: true, requirements: [], empty: true };
  if (typeof selector !== 'object' || Array.isArray(selector)) {
    return { valid: false, error: 'selector is not an object' };
  }
  const requirements: Requirement[] = [];
  const matchLabels = selector.matchLabels ?? {};
  if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) {
    return { valid: false, error: 'matchLabels is not a map' };
  }
  for (const [key, value] of Object.entries(matchLabels)) {
    const keyError = validateKey(key);
    if (keyError) return { valid: false, error: keyError };
    if (typeof value !== 'string') return { valid: false, error: `matchLabels["${key}"] is not a string` };
    const valueError = validateValue(value);
    if (valueError) return { valid: false, error: `${valueError} (key "${key}")` };
    requirements.push({ key, operator: 'In', values: [value] });
  }
  const expressions = selector.matchExpressions ?? [];
  if (!Array.isArray(expressions)) return { valid: false, error: 'matchExpressions is not a list' };
  for (const expr of expressions as LabelSelectorRequirement[]) {
    const compiled = compileRequirement(expr);
    if (typeof compiled === 'string') return { valid: false, error: compiled };
    requirements.push(compiled);
  }
  // The API machinery sorts requirements by key; keep the user's order for explanations instead.
  return { valid: true, requirements, empty: requirements.length === 0 };
}

function compileRequirement(expr: LabelSelectorRequirement): Requirement | string {
  if (!expr || typeof expr !== 'object') return 'matchExpressions entry is not an object';
  const { key, operator } = expr;
  if (typeof key !== 'string') return 'matchExpressions entry has no key';
  const keyError = validateKey(key);
  if (keyError) return keyError;
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    return `"${String(operator)}" is not a valid label selector operator (key "${key}")`;
  }
  const raw = expr.values ?? [];
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) {
    return `values of "${key}" must be a list of strings`;
  }
  const values = raw as string[];
  for (const v of values) {
    const valueError = validateValue(v);
    if (valueError) return `${valueError} (key "${key}")`;
  }
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
    return `for 'in', 'notin' operators, values set can't be empty (key "${key}")`;
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
    return `values set must be empty for exists and does not exist (key "${key}")`;
  }
  return { key, operator: operator as Operator, values };
}

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key is a qualified name: optional DNS-subdomain prefix, '/', and a name of at most 63 chars. */
export function validateKey(key: string): string | null {
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  if (prefix !== null && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `invalid label key "${key}": prefix must be a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    return `invalid label key "${key}": name part must be 63 characters or less, alphanumeric, '-', '_' or '.'`;
  }
  return null;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A label value: empty, or at most 63 characters, alphanumeric at both ends, '-', '_' or '.' inside. */
export function validateValue(value: string): string | null {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return `invalid label value "${value}": must be 63 characters or less, alphanumeric at both ends, with '-', '_' or '.' between`;
  }
  return null;
}

export function requirementMatches(req: Requirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.operator) {
    case 'In':
      return has && req.values.includes(value as string);
    case 'NotIn':
      return !has || !req.values.includes(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has) return false;
      const actual = Number.parseInt(value as string, 10);
      const bound = Number.parseInt(req.values[0] ?? '', 10);
      if (!/^-?\d+$/.test(value as string) || Number.isNaN(bound)) return false;
      return req.operator === 'Gt' ? actual > bound : actual < bound;
    }
  }
}

/** True when every requirement holds. An invalid selector matches nothing. */
export function selectorMatches(selector: CompiledSelector, labels: Labels): boolean {
  if (!selector.valid) return false;
  for (const req of selector.requirements) if (!requirementMatches(req, labels)) return false;
  return true;
}

/** Every requirement with its outcome, for explanations. */
export function explainSelector(selector: CompiledSelector, labels: Labels): RequirementResult[] {
  if (!selector.valid) return [];
  return selector.requirements.map((req) => ({
    ...req,
    matched: requirementMatches(req, labels),
    actual: Object.prototype.hasOwnProperty.call(labels, req.key) ? (labels[req.key] as string) : null,
  }));
}

/** kubectl-style rendering of one requirement: `istio.io/rev in (canary)`, `!istio-injection`. */
export function formatRequirement(req: Requirement): string {
  switch (req.operator) {
    case 'In':
      return req.values.length === 1 ? `${req.key}=${req.values[0]}` : `${req.key} in (${req.values.join(',')})`;
    case 'NotIn':
      return req.values.length === 1 ? `${req.key}!=${req.values[0]}` : `${req.key} notin (${req.values.join(',')})`;
    case 'Exists':
      return req.key;
    case 'DoesNotExist':
      return `!${req.key}`;
    case 'Gt':
      return `${req.key}>${req.values[0]}`;
    case 'Lt':
      return `${req.key}<${req.values[0]}`;
  }
}

/** kubectl -l syntax for a valid compiled selector (the form the API's labelSelector parameter takes). */
export function selectorQuery(selector: CompiledSelector): string | null {
  if (!selector.valid) return null;
  return selector.requirements
    .map((r) => (r.operator === 'In' && r.values.length > 1 ? `${r.key} in (${r.values.join(',')})` : r.operator === 'NotIn' && r.values.length > 1 ? `${r.key} notin (${r.values.join(',')})` : formatRequirement(r)))
    .join(',');
}

export function formatSelector(selector: CompiledSelector): string {
  if (!selector.valid) return `<invalid: ${selector.error}>`;
  if (selector.empty) return '<everything>';
  return selector.requirements.map(formatRequirement).join(',');
}

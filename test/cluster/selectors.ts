// Label selectors (kubectl -l syntax) and field selectors, parsed and matched as the API server does.
import { badRequest } from './status.js';
import type { RawObject } from './types.js';

export type LabelOperator = 'exists' | 'notexists' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);
const OPERATOR_TOKENS = ['==', '!=', '=', '!', '(', ')', ',', '<', '>'];

/** Label selector tokens: identifiers, operators and punctuation; `in`/`notin` stay identifiers here. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const operator = OPERATOR_TOKENS.find((op) => text.startsWith(op, i));
    if (operator) {
      tokens.push(operator);
      i += operator.length;
      continue;
    }
    let end = i;
    while (end < text.length && !SPECIAL.has(text[end] as string) && !/\s/.test(text[end] as string)) end++;
    tokens.push(text.slice(i, end));
    i = end;
  }
  return tokens;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (!NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix)))) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
}

function checkValue(value: string): void {
  if (value !== '' && !NAME.test(value)) {
    throw badRequest(`unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
}

const isIdentifier = (token: string | undefined): token is string => token !== undefined && !OPERATOR_TOKENS.includes(token);

function syntaxError(selector: string, what: string): never {
  throw badRequest(`unable to parse requirement: ${what} in label selector "${selector}"`);
}

/** Parses a label selector; an empty string selects everything. Throws a 400 ApiError when invalid. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const tokens = tokenize(text);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const next = (): string | undefined => tokens[pos++];

  while (pos < tokens.length) {
    let token = next();
    if (token === '!') {
      const key = next();
      if (!isIdentifier(key)) syntaxError(text, 'expected a key after "!"');
      checkKey(key);
      requirements.push({ key, operator: 'notexists', values: [] });
    } else if (isIdentifier(token)) {
      const key = token;
      checkKey(key);
      const op = tokens[pos];
      if (op === undefined || op === ',') {
        requirements.push({ key, operator: 'exists', values: [] });
      } else if (op === '=' || op === '==' || op === '!=') {
        pos++;
        const value = isIdentifier(tokens[pos]) ? (next() as string) : '';
        checkValue(value);
        requirements.push({ key, operator: op === '!=' ? 'notin' : 'in', values: [value] });
      } else if (op === '<' || op === '>') {
        pos++;
        const value = next();
        if (!isIdentifier(value) || !/^-?\d+$/.test(value)) syntaxError(text, `expected an integer after "${op}"`);
        requirements.push({ key, operator: op === '<' ? 'lt' : 'gt', values: [value] });
      } else if (op === 'in' || op === 'notin') {
        pos++;
        if (next() !== '(') syntaxError(text, `expected "(" after "${op}"`);
        const values: string[] = [];
        for (;;) {
          const value = isIdentifier(tokens[pos]) ? (next() as string) : '';
          checkValue(value);
          values.push(value);
          const separator = next();
          if (separator === ')') break;
          if (separator !== ',') syntaxError(text, 'expected "," or ")" in a set of values');
        }
        requirements.push({ key, operator: op, values });
      } else {
        syntaxError(text, `unexpected "${op}" after key "${key}"`);
      }
    } else {
      syntaxError(text, `found "${token}", expected a key`);
    }
    token = next();
    if (token !== undefined && token !== ',') syntaxError(text, `found "${token}", expected ","`);
    if (token === ',' && pos >= tokens.length) syntaxError(text, 'expected a requirement after ","');
  }
  return requirements;
}

export function labelsMatch(requirements: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const all = labels ?? {};
  return requirements.every(({ key, operator, values }) => {
    const has = Object.prototype.hasOwnProperty.call(all, key);
    const value = all[key];
    switch (operator) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'in':
        return has && values.includes(value as string);
      case 'notin':
        return !has || !values.includes(value as string);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value as string)) return false;
        const diff = Number(value) - Number(values[0]);
        return operator === 'gt' ? diff > 0 : diff < 0;
      }
    }
  });
}

/** A label selector compiled to one predicate over an object's labels (the stored labels, not parsed JSON). */
export function compileLabelSelector(requirements: readonly LabelRequirement[]): (labels: Readonly<Record<string, string>> | undefined) => boolean {
  const tests = requirements.map(({ key, operator, values }): ((labels: Readonly<Record<string, string>>) => boolean) => {
    const has = (labels: Readonly<Record<string, string>>) => Object.prototype.hasOwnProperty.call(labels, key);
    const single = values.length === 1 ? (values[0] as string) : undefined;
    const set = new Set(values);
    switch (operator) {
      case 'exists':
        return has;
      case 'notexists':
        return (labels) => !has(labels);
      case 'in':
        return single !== undefined ? (labels) => labels[key] === single && has(labels) : (labels) => has(labels) && set.has(labels[key] as string);
      case 'notin':
        return single !== undefined ? (labels) => labels[key] !== single || !has(labels) : (labels) => !has(labels) || !set.has(labels[key] as string);
      case 'gt':
      case 'lt': {
        const bound = Number(values[0]);
        return (labels) => {
          const value = labels[key];
          if (!has(labels) || !/^-?\d+$/.test(value as string)) return false;
          return operator === 'gt' ? Number(value) > bound : Number(value) < bound;
        };
      }
    }
  });
  const none: Readonly<Record<string, string>> = Object.freeze({});
  if (tests.length === 1) {
    const only = tests[0] as (labels: Readonly<Record<string, string>>) => boolean;
    return (labels) => only(labels ?? none);
  }
  return (labels) => {
    const all = labels ?? none;
    for (const test of tests) if (!test(all)) return false;
    return true;
  };
}

export interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

/** Fields every type can be selected by, plus the extra ones real servers accept per kind. */
const EXTRA_FIELDS: Record<string, readonly string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Namespace: ['status.phase'],
};

/** Splits on `sep` where it is not escaped with a backslash. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] as string);
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

const unescape = (text: string): string => text.replace(/\\(.)/g, '$1');

/** Parses a field selector (`a=b,c!=d`); throws a 400 ApiError for syntax errors or unsupported fields. */
export function parseFieldSelector(text: string, kind: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[kind] ?? [])]);
  return splitUnescaped(text, ',').map((part) => {
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/s.exec(part.trim());
    if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const [, field = '', op, value = ''] = match;
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, equal: op !== '!=', value: unescape(value) };
  });
}

function fieldValue(object: RawObject, path: string): string {
  let value: unknown = object;
  for (const part of path.split('.')) value = value && typeof value === 'object' ? (value as RawObject)[part] : undefined;
  return value === undefined || value === null ? '' : String(value);
}

export function fieldsMatch(requirements: readonly FieldRequirement[], object: RawObject): boolean {
  return fieldsMatchValues(requirements, (field) => fieldValue(object, field));
}

/** fieldsMatch over values looked up elsewhere (a stored object's precomputed fields). */
export function fieldsMatchValues(requirements: readonly FieldRequirement[], valueOf: (field: string) => string): boolean {
  return requirements.every((r) => (valueOf(r.field) === r.value) === r.equal);
}

/**
 * The values of the fields a kind can be selected by besides metadata.name and metadata.namespace,
 * taken when an object is stored; empty values are left out. Undefined when there are none.
 */
export function selectableFieldValues(kind: string, object: RawObject): Record<string, string> | undefined {
  const fields = EXTRA_FIELDS[kind];
  if (!fields) return undefined;
  let values: Record<string, string> | undefined;
  for (const field of fields) {
    const value = fieldValue(object, field);
    if (value !== '') (values ??= {})[field] = value;
  }
  return values;
}

// The kubectl `-l` selector syntax (k8s.io/apimachinery/pkg/labels.Parse):
//   a=b  a==b  a!=b  a in (x,y)  a notin (x)  a  !a  a>1  a<1   joined by commas.
import { compileSelector, validateKey, type CompiledSelector, type Requirement } from './label-selector.js';

export class SelectorSyntaxError extends Error {}

/** Parses a kubectl label selector string. Throws SelectorSyntaxError with kubectl-like messages. */
export function parseSelector(text: string): CompiledSelector {
  const requirements: Requirement[] = [];
  const src = text.trim();
  if (src === '') return { valid: true, requirements, empty: true };
  let i = 0;
  const skipSpace = () => {
    while (i < src.length && /\s/.test(src[i] as string)) i++;
  };
  const readIdentifier = (): string => {
    skipSpace();
    const start = i;
    while (i < src.length && !/[\s,!=()<>]/.test(src[i] as string)) i++;
    return src.slice(start, i);
  };
  const expect = (ch: string) => {
    skipSpace();
    if (src[i] !== ch) throw new SelectorSyntaxError(`unable to parse requirement: expected "${ch}" at position ${i} in "${text}"`);
    i++;
  };
  const checkKey = (key: string) => {
    if (!key) throw new SelectorSyntaxError(`unable to parse requirement: missing label key in "${text}"`);
    const err = validateKey(key);
    if (err) throw new SelectorSyntaxError(err);
  };

  for (;;) {
    skipSpace();
    if (src[i] === '!') {
      i++;
      const key = readIdentifier();
      checkKey(key);
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else {
      const key = readIdentifier();
      checkKey(key);
      skipSpace();
      const rest = src.slice(i);
      if (rest.startsWith('==') || rest.startsWith('!=') || rest.startsWith('=')) {
        const op = rest.startsWith('!=') ? 'NotIn' : 'In';
        i += rest.startsWith('=') && !rest.startsWith('==') ? 1 : 2;
        const value = readIdentifier();
        requirements.push({ key, operator: op, values: [value] });
      } else if (rest.startsWith('>') || rest.startsWith('<')) {
        i++;
        const value = readIdentifier();
        if (!/^-?\d+$/.test(value)) throw new SelectorSyntaxError(`unable to parse requirement: "${value}" is not an integer`);
        requirements.push({ key, operator: rest.startsWith('>') ? 'Gt' : 'Lt', values: [value] });
      } else if (/^(in|notin)\s*\(/i.test(rest) && /^(in|notin)\b/.test(rest)) {
        const op = rest.startsWith('notin') ? 'NotIn' : 'In';
        i += op === 'NotIn' ? 5 : 2;
        expect('(');
        const values: string[] = [];
        for (;;) {
          skipSpace();
          if (src[i] === ')') {
            if (values.length > 0) throw new SelectorSyntaxError(`unable to parse requirement: trailing comma in values of "${key}"`);
            break;
          }
          values.push(readIdentifier());
          skipSpace();
          if (src[i] === ',') {
            i++;
            continue;
          }
          break;
        }
        expect(')');
        if (values.length === 0) throw new SelectorSyntaxError(`for 'in', 'notin' operators, values set can't be empty (key "${key}")`);
        requirements.push({ key, operator: op, values });
      } else if (rest === '' || rest.startsWith(',')) {
        requirements.push({ key, operator: 'Exists', values: [] });
      } else {
        throw new SelectorSyntaxError(`unable to parse requirement: unexpected "${rest.slice(0, 10)}" after "${key}" in "${text}"`);
      }
    }
    skipSpace();
    if (i >= src.length) break;
    if (src[i] !== ',') throw new SelectorSyntaxError(`unable to parse requirement: expected "," at position ${i} in "${text}"`);
    i++;
  }
  for (const r of requirements) {
    for (const v of r.values) {
      if (v.length > 63 || (v !== '' && !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v))) {
        throw new SelectorSyntaxError(`invalid label value: "${v}"`);
      }
    }
  }
  // Reuse the structural checks of metav1 selectors for the In/NotIn/Exists forms.
  const structural = compileSelector({
    matchExpressions: requirements.filter((r) => r.operator !== 'Gt' && r.operator !== 'Lt'),
  });
  if (!structural.valid) throw new SelectorSyntaxError(structural.error);
  return { valid: true, requirements, empty: requirements.length === 0 };
}

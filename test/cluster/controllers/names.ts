// Deterministic names the way the controllers build them: pod-template-hash / controller-revision-hash
// (FNV-32a of the template, written with rand.SafeEncodeString's alphabet) and generateName suffixes
// (5 characters of the same alphabet, from a counter instead of a random source).
import type { RawObject } from '../types.js';

/** k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3 (no words, no look-alikes). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** rand.SafeEncodeString: every character mapped into the safe alphabet. */
export function safeEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += ALPHANUMS[byte % ALPHANUMS.length];
  return out;
}

/** JSON with sorted keys: the same template always hashes the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as RawObject)
      .filter((k) => (value as RawObject)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as RawObject)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** A pod template without the labels its controller adds, with empty maps dropped: what "same template" means. */
export function normalizedTemplate(template: RawObject | undefined): RawObject {
  const copy = structuredClone(template ?? {}) as RawObject;
  copy.metadata ??= {};
  const meta = copy.metadata as RawObject;
  if (meta.labels) {
    delete meta.labels['pod-template-hash'];
    delete meta.labels['controller-revision-hash'];
  }
  for (const field of ['labels', 'annotations']) {
    if (meta[field] && typeof meta[field] === 'object' && Object.keys(meta[field]).length === 0) delete meta[field];
  }
  if (Object.keys(meta).length === 0) delete copy.metadata;
  return copy;
}

/** controller.ComputeHash: the template's hash (plus a collision count), safely encoded. */
export function templateHash(template: RawObject | undefined, collisionCount = 0): string {
  const text = stableJson(normalizedTemplate(template)) + (collisionCount ? `#${collisionCount}` : '');
  return safeEncode(String(fnv32a(text)));
}

/** Five characters for generateName, from a counter: `web-6d4cf56db6-` + `x8k2p`. */
export function nameSuffix(prefix: string, counter: number): string {
  let n = fnv32a(`${prefix}#${counter}`);
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += ALPHANUMS[n % ALPHANUMS.length];
    n = Math.floor(n / ALPHANUMS.length);
  }
  return out;
}

// Fault injection: rules that delay requests, answer them with an error status, or cut the connection
// halfway through the response. Random rules draw from a seeded generator, so runs repeat exactly.
import type { Verb } from './resources.js';

export interface FaultMatch {
  method?: string;
  /** Tested against the request path (without the query string). */
  path?: RegExp | string;
  verb?: Verb;
  /** Resource plural, e.g. 'pods'. */
  resource?: string;
  namespace?: string;
  /** For lists: the page number, 1 being the request without a continue token. */
  page?: number;
}

export interface FaultRule extends FaultMatch {
  /** Answer with this HTTP status (a matching Status object; 429 adds Retry-After: 1; a 410 on a continued list is an expired token). */
  status?: number;
  /** Wait this long before handling the request. */
  latencyMs?: number;
  /** Send the headers and part of the body, then destroy the socket. */
  resetConnection?: boolean;
  /** Chance (0..1) that a matching request is affected; default 1. */
  probability?: number;
  /** Affect at most this many requests; default unlimited. */
  times?: number;
}

export interface FaultHandle {
  /** Requests this rule affected so far. */
  readonly hits: number;
  remove(): void;
}

/** What a request is matched on. */
export interface FaultTarget {
  method: string;
  path: string;
  verb: string;
  resource?: string;
  namespace?: string;
  page?: number;
}

/** The combined effect of the rules that fired for one request. */
export interface FaultEffect {
  latencyMs: number;
  status?: number;
  resetConnection: boolean;
}

interface ActiveRule {
  rule: FaultRule;
  hits: number;
}

/** mulberry32: a small, fast, seedable PRNG. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(rule: FaultMatch, target: FaultTarget): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== target.method) return false;
  if (rule.verb !== undefined && rule.verb !== target.verb) return false;
  if (rule.resource !== undefined && rule.resource !== target.resource) return false;
  if (rule.namespace !== undefined && rule.namespace !== target.namespace) return false;
  if (rule.page !== undefined && rule.page !== target.page) return false;
  if (rule.path !== undefined) {
    const pattern = typeof rule.path === 'string' ? new RegExp(rule.path) : rule.path;
    if (!pattern.test(target.path)) return false;
  }
  return true;
}

export class Faults {
  private rules: ActiveRule[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { rule, hits: 0 };
    this.rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** Restarts the random sequence (for `probability` rules). */
  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  /** Rolls the rules for a request: latencies add up; the first status or reset wins. */
  effectFor(target: FaultTarget): FaultEffect {
    const effect: FaultEffect = { latencyMs: 0, resetConnection: false };
    for (const active of this.rules) {
      const { rule } = active;
      if (!matches(rule, target)) continue;
      if (rule.times !== undefined && active.hits >= rule.times) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      active.hits++;
      effect.latencyMs += rule.latencyMs ?? 0;
      if (effect.status === undefined && !effect.resetConnection) {
        if (rule.status !== undefined) effect.status = rule.status;
        else if (rule.resetConnection) effect.resetConnection = true;
      }
    }
    return effect;
  }
}

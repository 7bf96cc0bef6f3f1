// Deny rules standing in for RBAC: a request matching a rule gets 403 Forbidden, worded as a real
// server words it.
import type { ResourceRequest } from './request-info.js';
import type { Verb } from './resources.js';
import { forbidden, type ApiError } from './status.js';

export interface ForbidRule {
  /** Deny in this namespace; all-namespaces requests for namespaced resources are denied too, as a
   *  user without cluster-wide rights would be. Omitted = every namespace and the cluster scope. */
  namespace?: string;
  /** Resource plural, e.g. 'pods'. Omitted = every resource. */
  resource?: string;
  verb?: Verb;
}

/** The user named in Forbidden messages. */
export const TEST_USER = 'system:serviceaccount:default:kubectl-inject-test';

function denies(rule: ForbidRule, verb: string, request: ResourceRequest): boolean {
  if (rule.verb !== undefined && rule.verb !== verb) return false;
  if (rule.resource !== undefined && rule.resource !== request.type.name) return false;
  if (rule.namespace === undefined) return true;
  if (request.namespace !== undefined) return request.namespace === rule.namespace;
  return request.type.namespaced;
}

export class AccessRules {
  private rules: ForbidRule[] = [];

  /** Adds a deny rule; returns a function that removes it. */
  forbid(rule: ForbidRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** The 403 for a request some rule denies, else undefined. */
  check(verb: string, request: ResourceRequest): ApiError | undefined {
    if (!this.rules.some((rule) => denies(rule, verb, request))) return undefined;
    return forbidden(TEST_USER, verb, request.type, request.namespace, request.name);
  }
}

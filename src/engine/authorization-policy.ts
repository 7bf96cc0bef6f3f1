// AuthorizationPolicies as ztunnel sees them (Istio: pilot/pkg/serviceregistry/kube/controller/ambient/
// authorization.go convertAuthorizationPolicy). ztunnel enforces L4 only: it ignores policies with
// targetRef(s) (those are for waypoints), supports only ALLOW and DENY, and drops the HTTP attributes of
// a rule: operation hosts/notHosts/methods/notMethods/paths/notPaths, source remoteIpBlocks/
// notRemoteIpBlocks/requestPrincipals/notRequestPrincipals, and every `when` key but source.ip,
// source.namespace, source.principal, destination.ip, destination.port. An ALLOW rule with one of them
// never matches, a DENY rule is enforced without them: both more restrictive than a sidecar enforces.
import type { AuthorizationPolicyRecord, Labels } from './types.js';

const L7_OPERATION_FIELDS: ReadonlySet<string> = new Set(['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths']);
const L7_SOURCE_FIELDS: ReadonlySet<string> = new Set(['remoteIpBlocks', 'notRemoteIpBlocks', 'requestPrincipals', 'notRequestPrincipals']);
const L4_WHEN_KEYS: ReadonlySet<string> = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);

/** The mesh root namespace (meshConfig.rootNamespace defaults to the istiod namespace). */
export const ROOT_NAMESPACE = 'istio-system';

export interface ZtunnelGap {
  /** What ztunnel cannot enforce: the L7 attributes found (sorted), or the action. */
  attributes: string[];
  /** The unsupported action (AUDIT, CUSTOM), when that is the gap. */
  action: string | null;
  /** What happens in ambient without a waypoint. */
  effect: string;
}

/** What of this policy ztunnel cannot enforce, or null (fully L4, or meant for a waypoint). */
export function ztunnelGap(policy: AuthorizationPolicyRecord): ZtunnelGap | null {
  if (policy.targeted) return null;
  const action = policy.action || 'ALLOW';
  if (action !== 'ALLOW' && action !== 'DENY') {
    return { attributes: [], action, effect: `ztunnel does not support the ${action} action: the policy is not enforced at all` };
  }
  const found = new Set<string>();
  for (const rule of policy.rules) {
    for (const op of rule.to) for (const f of op) if (L7_OPERATION_FIELDS.has(f)) found.add(f);
    for (const src of rule.from) for (const f of src) if (L7_SOURCE_FIELDS.has(f)) found.add(f);
    for (const key of rule.when) if (!L4_WHEN_KEYS.has(key)) found.add(key);
  }
  if (found.size === 0) return null;
  const attributes = [...found].sort();
  const effect =
    action === 'ALLOW'
      ? 'ztunnel omits the ALLOW rules that use them, so those requests are denied (more restrictive than the sidecars)'
      : 'ztunnel enforces the DENY rules without their HTTP parts, so they deny more than the sidecars did';
  return { attributes, action: null, effect };
}

/** Whether the policy applies to a pod in `namespace` with `labels` (a sidecar-era, workload-selector policy). */
export function policyApplies(policy: AuthorizationPolicyRecord, namespace: string, labels: Labels): boolean {
  if (policy.namespace !== namespace && policy.namespace !== ROOT_NAMESPACE) return false;
  if (policy.selector === null) return true;
  const keys = Object.keys(policy.selector);
  // An empty matchLabels selects every pod of the namespace, as a policy without selector does.
  return keys.every((k) => labels[k] === policy.selector![k]);
}

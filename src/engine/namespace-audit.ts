// One namespace: its injection labels, the revision a plain pod would get there, and findings about
// the labels themselves (conflicts as Istio's analyzer counts them, unknown revisions, no injector).
import { namespaceOf, type ClusterContext } from './cluster-context.js';
import { decide } from './decision.js';
import type { Finding } from './types.js';
import { namespaceWaypointFindings } from './ambient-findings.js';

export interface NamespaceAudit {
  name: string;
  /** The revision that would inject a pod with no labels of its own, or null. */
  revision: string | null;
  labels: { 'istio-injection'?: string; 'istio.io/rev'?: string; 'istio.io/dataplane-mode'?: string };
  ambient: boolean;
  pods: number;
  injected: number;
  drifted: number;
  findings: Finding[];
}

const INJECTION_LABELS = ['istio-injection', 'istio.io/rev', 'istio.io/dataplane-mode'] as const;

export function auditNamespace(ctx: ClusterContext, name: string): NamespaceAudit {
  const ns = namespaceOf(ctx, name);
  const labels: NamespaceAudit['labels'] = {};
  for (const key of INJECTION_LABELS) if (ns.labels[key] !== undefined) labels[key] = ns.labels[key];
  const decision = decide(ctx, { namespace: name, labels: {}, annotations: {}, hostNetwork: false });
  const findings: Finding[] = [];

  // IST0123: istio.io/rev and istio.io/dataplane-mode only count when istio-injection is absent or "enabled";
  // the analyzer skips istio-system.
  const injection = labels['istio-injection'];
  if (name !== 'istio-system' && (injection === undefined || injection === 'enabled')) {
    const present = INJECTION_LABELS.filter((k) => labels[k] !== undefined);
    if (present.length > 1) {
      const winner = injection !== undefined ? 'istio-injection wins over istio.io/rev' : 'the sidecar webhooks follow istio.io/rev and ignore istio.io/dataplane-mode';
      findings.push({
        code: 'ConflictingLabels',
        severity: 'warning',
        message: `namespace carries ${present.map((k) => `${k}=${labels[k]}`).join(', ')}; ${winner}`,
      });
    }
  }
  const rev = labels['istio.io/rev'];
  if (ctx.hooks.length === 0) {
    if (injection === 'enabled' || rev !== undefined) {
      findings.push({ code: 'NoInjector', severity: 'error', message: 'the namespace asks for injection but the cluster has no sidecar injection webhook' });
    }
  } else if (injection === 'enabled' && decision.matched.length === 0) {
    // Revision-only installs: nothing serves istio-injection=enabled without a default revision or tag.
    findings.push({
      code: 'NoInjector',
      severity: 'error',
      message: 'istio-injection=enabled but no injection webhook serves it (no default revision and no "default" revision tag)',
    });
  }
  if (ctx.hooks.length > 0 && rev !== undefined && !ctx.served.has(rev)) {
    const known = [...ctx.served.keys()].sort().join(', ');
    findings.push({
      code: 'UnknownRevision',
      severity: 'error',
      message: `istio.io/rev=${rev} names no revision or tag that any webhook serves (served: ${known || 'none'})${injection !== undefined ? '; istio-injection takes precedence anyway' : ''}`,
    });
  }
  findings.push(...namespaceWaypointFindings(ctx.ambient, ns));
  const ambient = ns.labels['istio.io/dataplane-mode'] === 'ambient' && injection !== 'enabled' && !rev;
  return { name, revision: decision.revision, labels, ambient, pods: 0, injected: 0, drifted: 0, findings };
}

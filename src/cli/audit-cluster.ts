// The audit of one cluster, as `status` runs it: base state and pods read together (read-scope.ts), the
// pods page by page into the report.
// Used for a single cluster and for each context of a fleet (src/cli/fleet.ts).
import { buildClusterContext } from '../engine/cluster-context.js';
import { ReportBuilder, type InjectionReport } from '../engine/report.js';
import { readScope } from '../cluster/read-scope.js';
import type { ClusterSource, Scope } from '../cluster/source.js';

export interface AuditOptions {
  driftOnly?: boolean;
  /** Progress text; `force` for a change of phase (drawn at once). */
  onProgress?: (text: string, force?: boolean) => void;
}

export async function auditCluster(source: ClusterSource, scope: Scope, options: AuditOptions = {}): Promise<InjectionReport> {
  const progress = options.onProgress ?? (() => undefined);
  progress('reading cluster configuration…', true);
  const { base, pods } = await readScope(source, scope, (n) => progress(`listing pods… ${n}`));
  const ctx = buildClusterContext({ ...base, pods: [] });
  const builder = new ReportBuilder(ctx, {
    namespaces: scope.labelSelector ? [] : base.namespaces.map((n) => n.name),
    source: { ...source.info(), partial: base.partial, warnings: base.warnings },
    driftOnly: options.driftOnly,
  });
  let seen = 0;
  for await (const page of pods) {
    for (const pod of page) builder.addPod(pod);
    seen += page.length;
    progress(`auditing pods… ${seen}`);
  }
  const report = builder.build();
  const gaps = source.podWarnings ?? [];
  if (gaps.length) report.source = { ...report.source, partial: true, warnings: [...report.source.warnings, ...gaps] };
  return report;
}

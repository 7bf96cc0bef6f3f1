// The audit of one cluster, as `status` runs it: base state and pods read together (read-scope.ts), the
// pods page by page into the report. A pod is audited as soon as every workload of its namespace is in
// (workload-feed.ts), not once every workload list has ended.
// Used for a single cluster and for each context of a fleet (src/cli/fleet.ts).
import { buildClusterContext } from '../engine/cluster-context.js';
import { ReportBuilder, type InjectionReport } from '../engine/report.js';
import { readScope } from '../cluster/read-scope.js';
import type { ClusterSource, Scope } from '../cluster/source.js';
import { OutOfOrderList } from '../cluster/workload-feed.js';

export interface AuditOptions {
  driftOnly?: boolean;
  /** Progress text; `force` for a change of phase (drawn at once). */
  onProgress?: (text: string, force?: boolean) => void;
  /** Audit pods while the workload lists still arrive, when the source can (default true). */
  streamWorkloads?: boolean;
}

export async function auditCluster(source: ClusterSource, scope: Scope, options: AuditOptions = {}): Promise<InjectionReport> {
  try {
    return await auditOnce(source, scope, options, options.streamWorkloads ?? true);
  } catch (err) {
    // Pods were audited on an order the workload lists then broke: everything again, workloads first.
    if (!(err instanceof OutOfOrderList)) throw err;
    options.onProgress?.('workload lists out of order: reading the cluster again…', true);
    return auditOnce(source, scope, options, false);
  }
}

async function auditOnce(source: ClusterSource, scope: Scope, options: AuditOptions, streamWorkloads: boolean): Promise<InjectionReport> {
  const progress = options.onProgress ?? (() => undefined);
  progress('reading cluster configuration…', true);
  const { base, pods, workloads } = await readScope(source, scope, { onProgress: (n) => progress(`listing pods… ${n}`), streamWorkloads });
  let builder: ReportBuilder;
  let workloadGaps: string[] = [];
  try {
    const ctx = buildClusterContext({ ...base, pods: [] });
    // Bound, not a closure: a closure here would hold this whole scope (ctx with it) for as long as any
    // closure of it lives, the pod list's onProgress included.
    workloads?.attach(ctx.workloads.add.bind(ctx.workloads));
    builder = new ReportBuilder(ctx, {
      namespaces: scope.labelSelector ? [] : base.namespaces.map((n) => n.name),
      source: { ...source.info(), partial: base.partial, warnings: base.warnings },
      driftOnly: options.driftOnly,
    });
    let seen = 0;
    for await (const page of pods) {
      for (const pod of page) {
        if (workloads && !workloads.admits(pod.namespace)) await workloads.whenAdmits(pod.namespace);
        builder.addPod(pod);
      }
      seen += page.length;
      progress(`auditing pods… ${seen}`);
    }
    // Every workload list has ended (also when no pod needed it): its failure fails the audit, its RBAC gaps are reported.
    if (workloads) workloadGaps = await workloads.whenEnded();
  } catch (err) {
    workloads?.fail(err); // the workload lists still under way (or waiting for the audit) stop
    throw err;
  }
  const gaps = [...workloadGaps, ...(source.podWarnings ?? [])];
  const report = builder.build();
  if (gaps.length) report.source = { ...report.source, partial: true, warnings: [...report.source.warnings, ...gaps] };
  return report;
}

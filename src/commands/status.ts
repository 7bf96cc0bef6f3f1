import * as Flags from '@oclif/core/flags';
import type { Interfaces } from '@oclif/core';
import { allContextsFlag, allNamespacesFlag, BaseCommand, namespaceFlag, openSource, selectorFlag, sourceFlags } from '../cli/base-command.js';
import { colorEnabled, palette, Progress, warn } from '../cli/terminal.js';
import { heapStatsRequested, writeHeapStats } from '../cli/heap-stats.js';
import type { Scope } from '../cluster/source.js';

export default class Status extends BaseCommand {
  static override summary = 'Audit sidecar injection: what Istio would decide now versus what every pod runs';
  static override description =
    'For every namespace and pod: the injection decision Istio would make now (webhook selectors, then the injector policy of the matching revision) against the proxy the pod actually runs. Drift codes mean a restart of the workload changes the pod; findings need another fix.';
  static override examples = [
    '<%= config.bin %> status --demo',
    '<%= config.bin %> status -A --drift-only',
    '<%= config.bin %> status -n demo -o wide',
    '<%= config.bin %> status -o json --exit-code',
    '<%= config.bin %> status --all-contexts --drift-only',
    '<%= config.bin %> status --context prod-eu,prod-us -o json',
    '<%= config.bin %> status --demo --all-contexts',
  ];

  static override flags = {
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    selector: selectorFlag,
    output: Flags.string({ char: 'o', description: 'output format', options: ['table', 'wide', 'json', 'yaml'], default: 'table' }),
    'drift-only': Flags.boolean({ description: 'list only pods with drift or findings (counts still cover every pod)' }),
    'no-headers': Flags.boolean({ description: 'omit table headers and the summary line' }),
    'exit-code': Flags.boolean({ description: 'exit 3 when drift or error findings are found (a context that could not be read exits 1)' }),
    'all-contexts': allContextsFlag,
    ...sourceFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    const scope: Scope = {
      namespace: flags['all-namespaces'] ? null : flags.namespace ?? null,
      labelSelector: flags.selector ?? null,
    };
    const { fleetContexts, singleContextFlags } = await import('../cli/fleet.js');
    const contexts = await fleetContexts(flags);
    if (contexts && contexts.length > 1) return this.runFleet(flags, contexts, scope);
    // Loaded here, not at start-up: other commands (and --help) do not pay for them.
    const [{ auditCluster }, { hasProblems, SHARED_POD_MEMBERS }, { writeStatusTables }, { renderStructured, writeJsonStreaming }] = await Promise.all([
      import('../cli/audit-cluster.js'),
      import('../engine/report.js'),
      import('../render/status-table.js'),
      import('../render/structured.js'),
    ]);
    this.source = await openSource(singleContextFlags(flags, contexts));
    const progress = new Progress();
    const report = await auditCluster(this.source, scope, { driftOnly: flags['drift-only'], onProgress: (text, force) => progress.update(text, force) });
    progress.done();
    if (heapStatsRequested()) writeHeapStats(report.summary.pods);
    for (const w of report.source.warnings) warn(w);
    if (report.source.partial) warn('the result is PARTIAL: some objects could not be read');

    const format = flags.output;
    if (format === 'json') {
      // The replicas of a workload share these objects (ReportBuilder): each is stringified once.
      writeJsonStreaming(report as unknown as Record<string, unknown>, 'pods', process.stdout, { sharedMembers: SHARED_POD_MEMBERS });
    } else if (format === 'yaml') {
      process.stdout.write(renderStructured(report, format));
    } else {
      for (const f of report.findings) if (f.severity !== 'info') warn(`${f.code}: ${f.message}`);
      writeStatusTables(report, { wide: format === 'wide', noHeaders: flags['no-headers'], palette: palette(colorEnabled()) }, (chunk) => process.stdout.write(chunk));
    }
    if (flags['exit-code'] && hasProblems(report)) this.exit(3);
  }

  /**
   * Several contexts: audited concurrently, each its own source; one that fails is reported as an error
   * and the others in full. Exit 1 when a cluster could not be read (whatever --exit-code says), else 3
   * with --exit-code when a cluster has drift or error findings.
   */
  private async runFleet(flags: StatusFlags, contexts: string[], scope: Scope): Promise<void> {
    const [{ auditCluster }, { forEachContext, fleetReport, FleetProgress, openContextSource }, { hasProblems }, { writeFleetJson, writeFleetTables }, { renderStructured }] = await Promise.all([
      import('../cli/audit-cluster.js'),
      import('../cli/fleet.js'),
      import('../engine/report.js'),
      import('../render/fleet-table.js'),
      import('../render/structured.js'),
    ]);
    const progress = new FleetProgress(contexts);
    const outcomes = await forEachContext(
      contexts,
      (context) =>
        openContextSource(flags, context).catch((err: unknown) => {
          progress.finish(context);
          throw err;
        }),
      async (context, source) => {
        try {
          return await auditCluster(source, scope, { driftOnly: flags['drift-only'], onProgress: (text, force) => progress.update(context, text, force) });
        } finally {
          progress.finish(context);
        }
      },
      { debug: flags.debug },
    );
    progress.done();
    const fleet = fleetReport(outcomes);
    const table = flags.output === 'table' || flags.output === 'wide';
    for (const cluster of fleet.clusters) {
      if (cluster.error) {
        process.stderr.write(`error: context ${cluster.name}: ${cluster.error}\n`);
        continue;
      }
      for (const w of cluster.warnings) warn(`context ${cluster.name}: ${w}`);
      if (cluster.partial) warn(`context ${cluster.name}: the result is PARTIAL: some objects could not be read`);
      if (table) for (const f of cluster.findings) if (f.severity !== 'info') warn(`context ${cluster.name}: ${f.code}: ${f.message}`);
    }

    if (flags.output === 'json') writeFleetJson(fleet, process.stdout);
    else if (flags.output === 'yaml') process.stdout.write(renderStructured(fleet, 'yaml'));
    else writeFleetTables(fleet, { wide: flags.output === 'wide', noHeaders: flags['no-headers'], palette: palette(colorEnabled()) }, (chunk) => process.stdout.write(chunk));

    if (fleet.summary.failed > 0) {
      process.stderr.write(`error: ${fleet.summary.failed} of ${fleet.summary.clusters} contexts could not be read (${fleet.summary.failedClusters.join(', ')}); the others are reported in full\n`);
      this.exit(1);
    }
    if (flags['exit-code'] && outcomes.some((o) => o.ok && hasProblems(o.value))) this.exit(3);
  }
}

type StatusFlags = Interfaces.InferredFlags<typeof Status.flags>;

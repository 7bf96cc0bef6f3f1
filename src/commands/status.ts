import * as Flags from '@oclif/core/flags';
import { allNamespacesFlag, BaseCommand, namespaceFlag, openSource, selectorFlag, sourceFlags } from '../cli/base-command.js';
import { colorEnabled, palette, Progress, warn } from '../cli/terminal.js';
import { heapStatsRequested, writeHeapStats } from '../cli/heap-stats.js';
import type { Scope } from '../cluster/source.js';

/** Members of a pod audit whose objects ReportBuilder shares between pods. */
const SHARED_POD_MEMBERS = ['workload', 'desired', 'actual', 'drift'] as const;

export default class Status extends BaseCommand {
  static override summary = 'Audit sidecar injection: what Istio would decide now versus what every pod runs';
  static override description =
    'For every namespace and pod: the injection decision Istio would make now (webhook selectors, then the injector policy of the matching revision) against the proxy the pod actually runs. Drift codes mean a restart of the workload changes the pod; findings need another fix.';
  static override examples = [
    '<%= config.bin %> status --demo',
    '<%= config.bin %> status -A --drift-only',
    '<%= config.bin %> status -n demo -o wide',
    '<%= config.bin %> status -o json --exit-code',
  ];

  static override flags = {
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    selector: selectorFlag,
    output: Flags.string({ char: 'o', description: 'output format', options: ['table', 'wide', 'json', 'yaml'], default: 'table' }),
    'drift-only': Flags.boolean({ description: 'list only pods with drift or findings (counts still cover every pod)' }),
    'no-headers': Flags.boolean({ description: 'omit table headers and the summary line' }),
    'exit-code': Flags.boolean({ description: 'exit 3 when drift or error findings are found' }),
    ...sourceFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    // Loaded here, not at start-up: other commands (and --help) do not pay for them.
    const [{ buildClusterContext }, { hasProblems, ReportBuilder }, { writeStatusTables }, { renderStructured, writeJsonStreaming }] = await Promise.all([
      import('../engine/cluster-context.js'),
      import('../engine/report.js'),
      import('../render/status-table.js'),
      import('../render/structured.js'),
    ]);
    const scope: Scope = {
      namespace: flags['all-namespaces'] ? null : flags.namespace ?? null,
      labelSelector: flags.selector ?? null,
    };
    this.source = await openSource(flags);
    const source = this.source;
    const progress = new Progress();
    progress.update('reading cluster configuration…', true);
    source.prefetchPods?.(scope);
    const base = await source.loadBase(scope);
    const ctx = buildClusterContext({ ...base, pods: [] });
    const builder = new ReportBuilder(ctx, {
      namespaces: scope.labelSelector ? [] : base.namespaces.map((n) => n.name),
      source: { ...source.info(), partial: base.partial, warnings: base.warnings },
      driftOnly: flags['drift-only'],
    });
    let seen = 0;
    for await (const page of source.pods(scope, (n) => progress.update(`listing pods… ${n}`))) {
      for (const pod of page) builder.addPod(pod);
      seen += page.length;
      progress.update(`auditing pods… ${seen}`);
    }
    progress.done();
    const report = builder.build();
    if (heapStatsRequested()) writeHeapStats(report.summary.pods);
    const gaps = source.podWarnings ?? [];
    if (gaps.length) report.source = { ...report.source, partial: true, warnings: [...report.source.warnings, ...gaps] };
    for (const w of report.source.warnings) warn(w);
    if (report.source.partial) warn('the result is PARTIAL: some objects could not be read');

    const format = flags.output;
    if (format === 'json') {
      // The replicas of a workload share these objects (ReportBuilder): each is stringified once.
      writeJsonStreaming(report as unknown as Record<string, unknown>, 'pods', (chunk) => process.stdout.write(chunk), { sharedMembers: SHARED_POD_MEMBERS });
    } else if (format === 'yaml') {
      process.stdout.write(renderStructured(report, format));
    } else {
      for (const f of report.findings) if (f.severity !== 'info') warn(`${f.code}: ${f.message}`);
      writeStatusTables(report, { wide: format === 'wide', noHeaders: flags['no-headers'], palette: palette(colorEnabled()) }, (chunk) => process.stdout.write(chunk));
    }
    if (flags['exit-code'] && hasProblems(report)) this.exit(3);
  }
}

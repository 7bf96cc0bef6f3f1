// `status` as tables: namespaces, pods, then a one-line summary.
import type { InjectionReport } from '../engine/report.js';
import type { PodAudit } from '../engine/pod-audit.js';
import type { Palette } from '../cli/terminal.js';
import { renderTable } from './plain-table.js';

export interface StatusTableOptions {
  wide: boolean;
  noHeaders: boolean;
  palette: Palette;
}

function injectionLabels(labels: Record<string, string | undefined>): string {
  const parts = Object.entries(labels).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : '<none>';
}

function desired(p: PodAudit): string {
  return p.desired.inject ? `inject (${p.desired.revision})` : 'skip';
}

export function actualText(p: PodAudit): string {
  const a = p.actual;
  const rev = a.revision ? ` (${a.revision})` : '';
  if (a.injected) return `${a.mode === 'native-sidecar' ? 'native' : 'sidecar'}${rev}${a.manual ? ' manual' : ''}`;
  if (a.viaInjector) return `no proxy${rev}`;
  if (a.ambient) return 'ambient';
  return 'none';
}

export function renderStatusTables(report: InjectionReport, opts: StatusTableOptions): string {
  const c = opts.palette;
  const nsRows = report.namespaces.map((n) => [
    n.name,
    injectionLabels(n.labels),
    n.revision ?? '-',
    String(n.pods),
    String(n.injected),
    n.drifted ? c.red(String(n.drifted)) : '0',
    n.findings.length ? c.yellow(n.findings.map((f) => f.code).join(',')) : '-',
  ]);
  const nsTable = renderTable(['NAMESPACE', 'INJECTION LABELS', 'REVISION', 'PODS', 'INJECTED', 'DRIFTED', 'FINDINGS'], nsRows, { noHeaders: opts.noHeaders });

  const podHeaders = ['NAMESPACE', 'POD', 'WORKLOAD', 'DESIRED', 'ACTUAL', 'DRIFT', 'FINDINGS'];
  if (opts.wide) podHeaders.push('IMAGE', 'REASON');
  const podRows = report.pods.map((p) => {
    const row = [
      p.namespace,
      p.name,
      p.workload ? `${p.workload.kind}/${p.workload.name}` : '-',
      desired(p),
      actualText(p),
      p.drift.length ? c.red(p.drift.join(',')) : c.green('-'),
      p.findings.length ? c.yellow(p.findings.map((f) => f.code).join(',')) : '-',
    ];
    if (opts.wide) row.push(p.actual.image ?? '-', p.desired.reason);
    return row;
  });
  const podTable = podRows.length ? renderTable(podHeaders, podRows, { noHeaders: opts.noHeaders }) : 'No pods found.\n';
  if (opts.noHeaders) return `${nsTable}\n${podRows.length ? podTable : ''}`;
  return `${nsTable}\n${podTable}\n${summaryLine(report)}\n`;
}

export function summaryLine(report: InjectionReport): string {
  const s = report.summary;
  const drift = Object.entries(s.byDrift).map(([k, v]) => `${k} ${v}`).join(', ');
  const partial = report.source.partial ? ' (PARTIAL: some objects could not be read)' : '';
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${n(s.namespaces, 'namespace')}, ${n(s.pods, 'pod')}, ${s.injected} injected, ${s.drifted} drifted${drift ? ` (${drift})` : ''}${partial}`;
}

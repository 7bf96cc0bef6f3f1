// `status` as tables: namespaces, pods, then a one-line summary.
import type { InjectionReport } from '../engine/report.js';
import type { PodAudit } from '../engine/pod-audit.js';
import type { NamespaceAudit } from '../engine/namespace-audit.js';
import type { Palette } from '../cli/terminal.js';
import { writeTable } from './plain-table.js';

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
  if (p.desired.inject) return `inject (${p.desired.revision})`;
  return p.desired.dataplane === 'ambient' ? 'ambient' : 'skip';
}

export function actualText(p: PodAudit): string {
  const a = p.actual;
  const rev = a.revision ? ` (${a.revision})` : '';
  if (a.mode === 'gateway') return `gateway${rev}`;
  if (a.injected) return `${a.mode === 'native-sidecar' ? 'native' : 'sidecar'}${rev}${a.manual ? ' manual' : ''}`;
  if (a.viaInjector) return `no proxy${rev}`;
  if (a.ambient) return 'ambient';
  if (a.ambientPending) return 'ambient (pending)';
  return 'none';
}

export const NAMESPACE_HEADERS = ['NAMESPACE', 'INJECTION LABELS', 'REVISION', 'PODS', 'INJECTED', 'DRIFTED', 'FINDINGS'];

export function namespaceRow(n: NamespaceAudit, c: Palette): string[] {
  return [
    n.name,
    injectionLabels(n.labels),
    n.revision ?? '-',
    String(n.pods),
    String(n.injected),
    n.drifted ? c.red(String(n.drifted)) : '0',
    n.findings.length ? c.yellow(n.findings.map((f) => f.code).join(',')) : '-',
  ];
}

export function podHeaders(wide: boolean): string[] {
  const headers = ['NAMESPACE', 'POD', 'WORKLOAD', 'DESIRED', 'ACTUAL', 'DRIFT', 'FINDINGS'];
  if (wide) headers.push('IMAGE', 'REASON');
  return headers;
}

export function podRow(p: PodAudit, wide: boolean, c: Palette): string[] {
  const row = [
    p.namespace,
    p.name,
    p.workload ? `${p.workload.kind}/${p.workload.name}` : '-',
    desired(p),
    actualText(p),
    p.drift.length ? c.red(p.drift.join(',')) : c.green('-'),
    p.findings.length ? c.yellow(p.findings.map((f) => f.code).join(',')) : '-',
  ];
  if (wide) row.push(p.actual.image ?? '-', p.desired.reason);
  return row;
}

/** Writes the namespace table, the pod table and the summary line. */
export function writeStatusTables(report: InjectionReport, opts: StatusTableOptions, write: (chunk: string) => void): void {
  const c = opts.palette;
  const namespaces = report.namespaces;
  writeTable(NAMESPACE_HEADERS, namespaces.length, (i) => namespaceRow(namespaces[i]!, c), write, { noHeaders: opts.noHeaders });
  write('\n');

  const pods = report.pods;
  if (pods.length === 0 && !opts.noHeaders) write('No pods found.\n');
  if (pods.length > 0) writeTable(podHeaders(opts.wide), pods.length, (i) => podRow(pods[i]!, opts.wide, c), write, { noHeaders: opts.noHeaders });
  if (!opts.noHeaders) write(`\n${summaryLine(report)}\n`);
}

export function summaryLine(report: InjectionReport): string {
  return countsLine(report.summary, report.source.partial);
}

/** `3 namespaces, 12 pods, 9 injected, 2 drifted (RevisionMismatch 2)`, and PARTIAL when it is. */
export function countsLine(s: InjectionReport['summary'], partial: boolean): string {
  const drift = Object.entries(s.byDrift).map(([k, v]) => `${k} ${v}`).join(', ');
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${n(s.namespaces, 'namespace')}, ${n(s.pods, 'pod')}, ${s.injected} injected, ${s.drifted} drifted${drift ? ` (${drift})` : ''}${partial ? ' (PARTIAL: some objects could not be read)' : ''}`;
}

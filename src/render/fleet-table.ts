// `status` over several contexts as tables: the namespace and pod tables with a CLUSTER column first (a
// cluster that could not be read is one error row in the namespace table), then a summary line per
// cluster and the total. And the fleet report as streamed JSON.
import type { ClusterReport, FleetReport } from '../cli/fleet.js';
import type { Palette } from '../cli/terminal.js';
import { writeTable } from './plain-table.js';
import { countsLine, NAMESPACE_HEADERS, namespaceRow, podHeaders, podRow, type StatusTableOptions } from './status-table.js';
import { SHARED_POD_MEMBERS } from '../engine/report.js';
import { writeJsonStreaming, type ByteSink } from './structured.js';

/** Row i of the concatenation of every cluster's items: [cluster, item]. */
function locate<T>(clusters: readonly ClusterReport[], items: (c: ClusterReport) => readonly T[]): (i: number) => [ClusterReport, T | null] {
  const starts: number[] = [];
  let total = 0;
  for (const c of clusters) {
    starts.push(total);
    total += Math.max(items(c).length, c.error ? 1 : 0);
  }
  return (i) => {
    let k = starts.length - 1;
    while (starts[k]! > i) k--;
    const c = clusters[k]!;
    return [c, items(c)[i - starts[k]!] ?? null];
  };
}

function rowCount<T>(clusters: readonly ClusterReport[], items: (c: ClusterReport) => readonly T[], errorRows: boolean): number {
  return clusters.reduce((n, c) => n + (c.error ? (errorRows ? 1 : 0) : items(c).length), 0);
}

export function writeFleetTables(fleet: FleetReport, opts: StatusTableOptions, write: (chunk: string) => void): void {
  const c: Palette = opts.palette;
  const clusters = fleet.clusters;

  // Namespaces, with one row per cluster that could not be read.
  const nsAt = locate(clusters, (k) => k.namespaces);
  writeTable(
    ['CLUSTER', ...NAMESPACE_HEADERS],
    rowCount(clusters, (k) => k.namespaces, true),
    (i) => {
      const [cluster, ns] = nsAt(i);
      if (!ns) return [cluster.name, '<error>', '-', '-', '-', '-', '-', c.red(`error: ${cluster.error}`)];
      return [cluster.name, ...namespaceRow(ns, c)];
    },
    write,
    { noHeaders: opts.noHeaders },
  );
  write('\n');

  const readable = clusters.filter((k) => !k.error);
  const podCount = rowCount(readable, (k) => k.pods, false);
  if (podCount === 0 && !opts.noHeaders) write('No pods found.\n');
  if (podCount > 0) {
    const podAt = locate(readable, (k) => k.pods);
    writeTable(
      ['CLUSTER', ...podHeaders(opts.wide)],
      podCount,
      (i) => {
        const [cluster, pod] = podAt(i);
        return [cluster.name, ...podRow(pod!, opts.wide, c)];
      },
      write,
      { noHeaders: opts.noHeaders },
    );
  }
  if (!opts.noHeaders) write(`\n${fleetSummaryLines(fleet, c).join('\n')}\n`);
}

/** One line per cluster, then the total. */
export function fleetSummaryLines(fleet: FleetReport, c: Palette): string[] {
  const width = Math.max('total'.length, ...fleet.clusters.map((k) => k.name.length));
  const lines = fleet.clusters.map((k) => {
    const label = `${k.name}:`.padEnd(width + 2);
    return k.summary ? `${label}${countsLine(k.summary, k.partial)}` : `${label}${c.red(`error: ${k.error}`)}`;
  });
  const s = fleet.summary;
  const clusters = `${s.clusters} clusters${s.failed ? ` (${s.failed} could not be read: ${s.failedClusters.join(', ')})` : ''}`;
  lines.push(`${'total:'.padEnd(width + 2)}${clusters}, ${countsLine(s, false)}`);
  return lines;
}

/** The fleet report as pretty JSON (the bytes of JSON.stringify(fleet, null, 2)), each cluster's pods streamed. */
export function writeFleetJson(fleet: FleetReport, sink: ByteSink): void {
  const PLACEHOLDER = '\u0000clusters\u0000';
  const text = JSON.stringify({ ...fleet, clusters: PLACEHOLDER }, null, 2);
  const at = text.indexOf(JSON.stringify(PLACEHOLDER));
  const write = (s: string) => sink.write(Buffer.from(s));
  write(`${text.slice(0, at)}[\n`);
  fleet.clusters.forEach((cluster, i) => {
    // Each cluster as a document of its own at its depth (4 spaces), the separator after its closing brace.
    write('    ');
    writeJsonStreaming(cluster as unknown as Record<string, unknown>, 'pods', sink, { sharedMembers: SHARED_POD_MEMBERS, indent: '    ', end: i < fleet.clusters.length - 1 ? ',\n' : '\n' });
  });
  write(`  ]${text.slice(at + JSON.stringify(PLACEHOLDER).length)}\n`);
}

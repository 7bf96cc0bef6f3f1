// Fleets: one command over several kubeconfig contexts (`--context a,b,c`, `--all-contexts`). Which
// contexts, a source per context, and running per-context work concurrently (bounded) with each
// context's failure kept to that context. The commands decide what to do per context; the fleet report
// of `status` is built here (src/render/fleet-table.ts renders it).
import { UserError, type ClusterSource } from '../cluster/source.js';
import type { InjectionReport } from '../engine/report.js';
import { DRIFT_CODES } from '../engine/pod-audit.js';
import { openSource, type SourceFlagValues } from './base-command.js';
import { oneLine } from './terminal.js';

/** Contexts read at once: enough to hide round trips, few enough not to swamp a 2-core machine or the API servers. */
export const FLEET_CONCURRENCY = 4;

export interface FleetFlagValues extends SourceFlagValues {
  'all-contexts'?: boolean;
}

/**
 * The contexts a command runs on, in order, without duplicates; null when it runs on one cluster the
 * way it always did (no `--all-contexts`, and `--context` names at most one context). A list of one
 * context (`--all-contexts` on a kubeconfig with one context, `--context a,a`) is a single-cluster run
 * on that context: the fleet shapes (CLUSTER column, clusters[]) are for more than one.
 */
export async function fleetContexts(flags: FleetFlagValues): Promise<string[] | null> {
  const listed = flags.context?.includes(',') ?? false;
  if (!flags['all-contexts'] && !listed) return null;
  if (flags.snapshot?.length) {
    throw new UserError('--snapshot reads one cluster: a list of contexts and --all-contexts need a kubeconfig (or --demo)', 2);
  }
  const known = await knownContexts(flags);
  // A context whose name holds a comma is one context, as kubectl would read it.
  if (listed && !flags['all-contexts'] && known.includes(flags.context!)) return null;
  if (flags['all-contexts']) {
    if (known.length === 0) throw new UserError('--all-contexts: the kubeconfig has no contexts');
    return known;
  }
  const names: string[] = [];
  for (const raw of flags.context!.split(',')) {
    const name = raw.trim();
    if (name && !names.includes(name)) names.push(name);
  }
  if (names.length === 0) throw new UserError(`--context "${flags.context}" names no context`, 2);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    const what = flags.demo ? 'the demo' : 'the kubeconfig';
    const list = unknown.map((n) => `"${n}"`).join(', ');
    throw new UserError(`context${unknown.length > 1 ? 's' : ''} ${list} ${unknown.length > 1 ? 'do' : 'does'} not exist in ${what} (its contexts: ${known.join(', ') || 'none'})`, 2);
  }
  return names;
}

/** The flags of a single-cluster run on `contexts` (null or one context). */
export function singleContextFlags<F extends SourceFlagValues>(flags: F, contexts: readonly string[] | null): F {
  return contexts?.length === 1 ? { ...flags, context: contexts[0] } : flags;
}

async function knownContexts(flags: FleetFlagValues): Promise<string[]> {
  if (flags.demo) return [...(await import('../cluster/demo-state.js')).DEMO_CONTEXT_NAMES];
  const { contextNames } = await import('../cluster/kubeconfig.js');
  return contextNames({ kubeconfig: flags.kubeconfig });
}

/** The source of one context of the fleet. */
export function openContextSource(flags: SourceFlagValues, context: string): Promise<ClusterSource> {
  return openSource({ ...flags, context, snapshot: undefined });
}

export type ContextOutcome<T> = { context: string; ok: true; value: T } | { context: string; ok: false; error: string };

/** The one line a failure of a context is reported as. */
export function errorLine(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err)) || 'unknown error';
}

/**
 * Runs `work` for every context, at most `limit` at once, each with its own source (closed when its work
 * ends). A context whose work fails does not stop the others: its outcome carries the error. Results in
 * the order of `contexts`. With `debug`, a failure's stack goes to stderr.
 */
export async function forEachContext<T>(
  contexts: readonly string[],
  open: (context: string) => Promise<ClusterSource>,
  work: (context: string, source: ClusterSource) => Promise<T>,
  options: { limit?: number; debug?: boolean } = {},
): Promise<ContextOutcome<T>[]> {
  const outcomes: ContextOutcome<T>[] = new Array(contexts.length);
  let next = 0;
  const worker = async () => {
    while (next < contexts.length) {
      const i = next++;
      const context = contexts[i]!;
      let source: ClusterSource | null = null;
      try {
        source = await open(context);
        outcomes[i] = { context, ok: true, value: await work(context, source) };
      } catch (err) {
        if (options.debug && err instanceof Error && err.stack) process.stderr.write(`context ${context}: ${err.stack}\n`);
        outcomes[i] = { context, ok: false, error: errorLine(err) };
      } finally {
        await source?.close?.().catch(() => undefined);
      }
    }
  };
  const limit = Math.max(1, Math.min(options.limit ?? FLEET_CONCURRENCY, contexts.length));
  await Promise.all(Array.from({ length: limit }, worker));
  return outcomes;
}

/** Per-context progress on one stderr line (TTY only): `contexts 1/3 done  a: auditing pods… 1200  b: …`. */
export class FleetProgress {
  private readonly enabled: boolean;
  private readonly state = new Map<string, string>();
  private finished = 0;
  private last = 0;
  private shown = false;

  constructor(
    private readonly contexts: readonly string[],
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = Boolean(stream.isTTY);
  }

  update(context: string, text: string, force = false): void {
    this.state.set(context, text);
    this.draw(force);
  }

  finish(context: string): void {
    this.state.delete(context);
    this.finished++;
    this.draw(true);
  }

  done(): void {
    if (this.enabled && this.shown) this.stream.write('\r\u001b[2K');
    this.shown = false;
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    const parts = [`contexts ${this.finished}/${this.contexts.length} done`, ...[...this.state].map(([c, t]) => `${c}: ${t}`)];
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const line = parts.join('  ');
    this.stream.write(`\r\u001b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  }
}

// ---------------------------------------------------------------- status over a fleet

type Summary = InjectionReport['summary'];

/** One context of a fleet report: the cluster's InjectionReport fields, or its error. */
export interface ClusterReport {
  /** The CLUSTER column: the context name. */
  name: string;
  context: string;
  /** Some objects could not be read (RBAC), or the cluster could not be read at all (`error`). */
  partial: boolean;
  warnings: string[];
  /** Why the cluster could not be read (one line), else null. */
  error: string | null;
  /** The cluster's summary; null when it could not be read. */
  summary: Summary | null;
  source: InjectionReport['source'] | null;
  injectors: InjectionReport['injectors'];
  findings: InjectionReport['findings'];
  namespaces: InjectionReport['namespaces'];
  pods: InjectionReport['pods'];
}

export interface FleetReport {
  kind: 'FleetInjectionReport';
  apiVersion: 'inject.istio-tools.dev/v1alpha1';
  /** Some cluster is partial or could not be read. */
  partial: boolean;
  /** Totals across the clusters that could be read. */
  summary: Summary & { clusters: number; failed: number; failedClusters: string[] };
  clusters: ClusterReport[];
}

export function clusterReport(context: string, outcome: ContextOutcome<InjectionReport>): ClusterReport {
  if (!outcome.ok) {
    return { name: context, context, partial: true, warnings: [], error: outcome.error, summary: null, source: null, injectors: [], findings: [], namespaces: [], pods: [] };
  }
  const r = outcome.value;
  return {
    name: context,
    context,
    partial: r.source.partial,
    warnings: r.source.warnings,
    error: null,
    summary: r.summary,
    source: r.source,
    injectors: r.injectors,
    findings: r.findings,
    namespaces: r.namespaces,
    pods: r.pods,
  };
}

export function fleetReport(outcomes: readonly ContextOutcome<InjectionReport>[]): FleetReport {
  const clusters = outcomes.map((o) => clusterReport(o.context, o));
  const total: FleetReport['summary'] = { clusters: clusters.length, failed: 0, failedClusters: [], namespaces: 0, pods: 0, injected: 0, drifted: 0, byDrift: {}, byFinding: {} };
  const byDrift: Record<string, number> = {};
  const byFinding: Record<string, number> = {};
  for (const c of clusters) {
    if (!c.summary) {
      total.failed++;
      total.failedClusters.push(c.name);
      continue;
    }
    total.namespaces += c.summary.namespaces;
    total.pods += c.summary.pods;
    total.injected += c.summary.injected;
    total.drifted += c.summary.drifted;
    for (const [k, v] of Object.entries(c.summary.byDrift)) byDrift[k] = (byDrift[k] ?? 0) + v;
    for (const [k, v] of Object.entries(c.summary.byFinding)) byFinding[k] = (byFinding[k] ?? 0) + v;
  }
  for (const code of DRIFT_CODES) if (byDrift[code]) total.byDrift[code] = byDrift[code];
  for (const code of Object.keys(byDrift).sort()) if (!(code in total.byDrift)) total.byDrift[code] = byDrift[code]!;
  for (const code of Object.keys(byFinding).sort()) total.byFinding[code] = byFinding[code]!;
  return {
    kind: 'FleetInjectionReport',
    apiVersion: 'inject.istio-tools.dev/v1alpha1',
    partial: clusters.some((c) => c.partial),
    summary: total,
    clusters,
  };
}

// Flags every command shares (kubectl's names and meanings) and the choice of cluster source.
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import { UserError, type ClusterSource } from '../cluster/source.js';

export const sourceFlags = {
  kubeconfig: Flags.string({ description: 'path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)', helpGroup: 'CLUSTER' }),
  context: Flags.string({
    description: 'kubeconfig context to use (default: the current context); a comma-separated list (a,b,c) runs on each of them: status and explain read them concurrently, rollout one after the other',
    helpGroup: 'CLUSTER',
  }),
  'request-timeout': Flags.string({ description: 'timeout of each API request, e.g. 30s, 1m (0 = none)', default: '30s', helpGroup: 'CLUSTER' }),
  'chunk-size': Flags.integer({ description: 'list large collections in pages of this many objects (workloads: 4 times as many; 0 = no paging)', default: 500, min: 0, helpGroup: 'CLUSTER' }),
  snapshot: Flags.string({
    description: 'read cluster state from files (kind: List, multi-document YAML/JSON, a directory, or - for stdin); repeat to add files, e.g. the config cluster\'s injector ConfigMap for a remote cluster',
    helpGroup: 'CLUSTER',
    exclusive: ['demo'],
    multiple: true,
  }),
  demo: Flags.boolean({ description: 'use the bundled demo cluster state (two clusters, contexts "demo", the default, and "east")', helpGroup: 'CLUSTER', exclusive: ['snapshot'] }),
  debug: Flags.boolean({ description: 'print stack traces of errors', hidden: true }),
};

export const namespaceFlag = Flags.string({ char: 'n', description: 'namespace (default: all for status; the context namespace, then "default", otherwise)' });
export const allNamespacesFlag = Flags.boolean({ char: 'A', description: 'all namespaces' });
export const selectorFlag = Flags.string({ char: 'l', description: 'pod label selector (kubectl syntax: a=b,c!=d,e in (x,y),!f)' });

export interface SourceFlagValues {
  kubeconfig?: string;
  context?: string;
  'request-timeout'?: string;
  'chunk-size'?: number;
  snapshot?: string[];
  demo?: boolean;
}

/** Parses kubectl-style durations: 30s, 1m, 1h30m, 500ms, or a bare number of seconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    const n = Number(m[1]);
    total += n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  if (consumed !== t.length || t.length === 0) throw new UserError(`invalid duration for --${flag}: "${text}" (examples: 30s, 2m, 1h)`, 2);
  return Math.round(total);
}

/** `--all-contexts`, for the commands that read every context of the kubeconfig (status, explain). */
export const allContextsFlag = Flags.boolean({
  description: 'run on every context of the kubeconfig (with --demo: the demo\'s two clusters), concurrently, one CLUSTER per context',
  helpGroup: 'CLUSTER',
  exclusive: ['context', 'snapshot'],
});

export async function openSource(flags: SourceFlagValues): Promise<ClusterSource> {
  if (flags.demo) return (await import('../cluster/demo-state.js')).demoSource(flags.context);
  if (flags.snapshot?.length) return (await import('../cluster/snapshot-source.js')).SnapshotSource.fromPaths(flags.snapshot);
  const { LiveSource } = await import('../cluster/live-source.js');
  return LiveSource.open({
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    requestTimeoutMs: parseDuration(flags['request-timeout'] ?? '30s', 'request-timeout'),
    pageSize: flags['chunk-size'],
  });
}

export abstract class BaseCommand extends Command {
  protected source: ClusterSource | null = null;

  protected override async finally(err: Error | undefined): Promise<unknown> {
    await this.source?.close?.();
    return super.finally(err);
  }

  /** Errors reach src/cli/main.ts, which prints one line. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    throw err;
  }
}

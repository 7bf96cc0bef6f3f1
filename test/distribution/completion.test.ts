// The completion engine behind `kubectl-inject __complete` (and so kubectl_complete-inject), on the real
// command table with names from a stand-in cluster; and bin/kubectl_complete-inject from a clone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { complete, Directive, type CommandTable, type CompletionData } from '../../src/commands/completion.js';
import { COMMANDS } from '../../src/commands/index.js';

const table = COMMANDS as CommandTable;
const asked: string[] = [];
const data: CompletionData = {
  namespaces: async (flags) => {
    asked.push(`namespaces ${JSON.stringify(flags)}`);
    return ['default', 'demo', 'istio-system'];
  },
  names: async (_flags, kind, namespace) => {
    asked.push(`${kind} in ${namespace}`);
    return kind === 'Pod' ? ['web-1', 'web-2', 'db-1'] : kind === 'Deployment' ? ['web'] : [];
  },
  contexts: async () => ['kind-a', 'prod'],
};
const values = async (...words: string[]) => (await complete(table, words, data)).candidates.map((c) => c.split('\t')[0]);

describe('completion', () => {
  it('completes command names (hidden ones never), with their summaries', async () => {
    const all = await complete(table, [''], data);
    expect(all.directive).toBe(Directive.NoFileComp);
    expect(all.candidates.map((c) => c.split('\t')[0])).toEqual(expect.arrayContaining(['status', 'explain', 'completion', 'help']));
    expect(all.candidates.some((c) => c.startsWith('__complete'))).toBe(false);
    expect(await complete(table, ['st'], data)).toEqual({ candidates: [`status\t${String(table.status.summary)}`], directive: Directive.NoFileComp });
    expect(await values('help', 'ex')).toEqual(['explain']);
    expect(await values('--v')).toEqual(['--version']);
  });

  it('completes flags not given yet; shorthands only for a lone dash', async () => {
    expect(await values('status', '--dr')).toEqual(['--drift-only']);
    expect(await values('status', '--demo', '--de')).toEqual([]);
    expect(await values('status', '-')).toEqual(expect.arrayContaining(['-n', '--namespace', '-A', '-o']));
    expect(await values('status', '--')).not.toContain('--debug');
  });

  it('completes flag values: options, namespaces, contexts, files left to the shell', async () => {
    expect(await values('status', '-o', 'j')).toEqual(['json']);
    expect(await values('status', '--output=y')).toEqual(['--output=yaml']);
    expect(await values('status', '-n', 'd')).toEqual(['default', 'demo']);
    expect(await values('status', '--namespace=i')).toEqual(['--namespace=istio-system']);
    expect(await values('status', '--context', '')).toEqual(['kind-a', 'prod']);
    expect(await complete(table, ['status', '--kubeconfig', ''], data)).toEqual({ candidates: [], directive: Directive.Default });
    expect(await complete(table, ['explain', '-f', ''], data)).toEqual({ candidates: [], directive: Directive.Default });
    expect(await complete(table, ['status', '-l', ''], data)).toEqual({ candidates: [], directive: Directive.NoFileComp });
  });

  it('completes a list of contexts after its last comma, without the names already listed', async () => {
    expect(await values('status', '--context', 'prod,')).toEqual(['prod,kind-a']);
    expect(await values('status', '--context', 'kind-a,p')).toEqual(['kind-a,prod']);
    expect(await values('status', '--context=kind-a,')).toEqual(['--context=kind-a,prod']);
    expect(await values('status', '--context', 'kind-a,prod,')).toEqual([]);
    // Names and namespaces of a listed line come from its first context.
    asked.length = 0;
    await values('status', '--context', 'prod,kind-a', '-n', '');
    expect(asked).toEqual([`namespaces ${JSON.stringify({ kubeconfig: undefined, context: 'prod', 'request-timeout': '5s', demo: false })}`]);
  });

  it('hands the source flags of the line to the cluster lookup, with a short request timeout', async () => {
    asked.length = 0;
    await values('status', '--context', 'prod', '--kubeconfig=/tmp/k', '-n', '');
    expect(asked).toEqual([`namespaces ${JSON.stringify({ kubeconfig: '/tmp/k', context: 'prod', 'request-timeout': '5s', demo: false })}`]);
  });

  it('completes explain targets: kinds, then names of that kind in the namespace given', async () => {
    expect(await complete(table, ['explain', ''], data)).toEqual({ candidates: ['pod/', 'deployment/', 'statefulset/', 'daemonset/'], directive: Directive.NoFileComp | Directive.NoSpace });
    asked.length = 0;
    expect(await values('explain', '-n', 'demo', 'pod/w')).toEqual(['pod/web-1', 'pod/web-2']);
    expect(await values('explain', 'deploy/')).toEqual(['deploy/web']);
    expect(asked).toEqual(['Pod in demo', 'Deployment in null']);
    expect(await values('explain', 'we')).toEqual(['web-1', 'web-2']);
    expect(await values('explain', 'nosuchkind/')).toEqual([]);
    expect(await values('explain', 'pod/web-1', '')).toEqual([]);
    expect(await values('status', '')).toEqual([]);
  });

  it('unknown commands and words after -- complete to nothing', async () => {
    expect(await complete(table, ['nosuch', ''], data)).toEqual({ candidates: [], directive: Directive.NoFileComp });
    expect(await values('status', '--', '-')).toEqual([]);
  });
});

describe('bin/kubectl_complete-inject (clone or npm install)', () => {
  it('answers in cobra\'s protocol, names from --demo', () => {
    const bin = fileURLToPath(new URL('../../bin/kubectl_complete-inject', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'explain', '--demo', '-n', 'shop', 'deployment/f'], { encoding: 'utf8' });
    expect(r.stdout).toBe('deployment/frontend\n:4\n');
    expect(r.stderr).toBe('');
  });
});

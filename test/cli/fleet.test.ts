// Fleets on the demo's two clusters ("demo" = demo/cluster.yaml, "east" = demo/east.yaml), and the
// fleet helpers: context lists, bounded concurrency, the streamed fleet JSON.
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { FleetProgress, fleetContexts, fleetReport, forEachContext } from '../../src/cli/fleet.js';
import type { ClusterSource } from '../../src/cluster/source.js';
import { UserError } from '../../src/cluster/source.js';
import { writeFleetJson } from '../../src/render/fleet-table.js';
import { json, runCli } from './run-cli.js';

describe('status --demo over the demo\'s two clusters', () => {
  it('--demo alone is the single cluster "demo", as before: no CLUSTER column, an InjectionReport', async () => {
    const plain = await runCli(['status', '--demo']);
    const named = await runCli(['status', '--demo', '--context', 'demo']);
    expect(named.stdout).toBe(plain.stdout);
    expect(plain.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+INJECTION LABELS/);
    expect(json(await runCli(['status', '--demo', '-o', 'json'])).source).toEqual({ type: 'demo', location: 'demo/', partial: false, warnings: [] });
    // east alone: its own cluster, none of demo's namespaces.
    const east = json(await runCli(['status', '--demo', '--context', 'east', '-o', 'json']));
    expect(east.kind).toBe('InjectionReport');
    expect(east.namespaces.map((n: { name: string }) => n.name)).toEqual(['edge', 'istio-system', 'kube-system', 'payments', 'shop']);
    expect(east.injectors.map((i: { revision: string; version: string }) => `${i.revision}@${i.version}`)).toEqual(['1-28@1.28.0', 'default@1.27.3']);
    expect(east.summary.byDrift).toEqual({ UnexpectedSidecar: 1, RevisionMismatch: 2, ProxyImageMismatch: 1, StaleTemplate: 1 });
  });

  it('--all-contexts: CLUSTER first in both tables, every row of each cluster, a summary per cluster and the total', async () => {
    const r = await runCli(['status', '--demo', '--all-contexts']);
    expect(r.code, r.stderr).toBe(0);
    const [nsTable, podTable, summary] = r.stdout.trimEnd().split('\n\n');
    expect(nsTable!.split('\n')[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+INJECTION LABELS\s+REVISION\s+PODS\s+INJECTED\s+DRIFTED\s+FINDINGS$/);
    expect(podTable!.split('\n')[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+POD\s+WORKLOAD\s+DESIRED\s+ACTUAL\s+DRIFT\s+FINDINGS$/);
    const demo = json(await runCli(['status', '--demo', '-o', 'json']));
    const east = json(await runCli(['status', '--demo', '--context', 'east', '-o', 'json']));
    const rows = (table: string, cluster: string) => table.split('\n').filter((l) => l.startsWith(`${cluster} `));
    expect(rows(nsTable!, 'demo')).toHaveLength(demo.namespaces.length);
    expect(rows(nsTable!, 'east')).toHaveLength(east.namespaces.length);
    expect(rows(podTable!, 'demo')).toHaveLength(demo.pods.length);
    expect(rows(podTable!, 'east')).toHaveLength(east.pods.length);
    expect(rows(podTable!, 'east')).toContainEqual(expect.stringMatching(/^east\s+payments\s+api-\S+\s+Deployment\/api\s+inject \(1-28\)\s+native \(default\)\s+RevisionMismatch\s+-$/));
    const lines = summary!.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`demo:  ${(await runCli(['status', '--demo'])).stdout.trimEnd().split('\n').pop()}`);
    expect(lines[1]).toMatch(/^east: {2}5 namespaces, 11 pods, 7 injected, 4 drifted \(/);
    // The total: the sums, drift codes in the order of the contract.
    const codes = ['MissingSidecar', 'UnexpectedSidecar', 'RevisionMismatch', 'ProxyImageMismatch', 'StaleTemplate'];
    const sum = (code: string) => (demo.summary.byDrift[code] ?? 0) + (east.summary.byDrift[code] ?? 0);
    const drift = codes.filter((c) => sum(c) > 0).map((c) => `${c} ${sum(c)}`).join(', ');
    expect(lines[2]).toMatch(/^total: 2 clusters, /);
    expect(lines[2]).toContain(`total: 2 clusters, ${demo.summary.namespaces + east.summary.namespaces} namespaces, ${demo.summary.pods + east.summary.pods} pods, ${demo.summary.injected + east.summary.injected} injected, ${demo.summary.drifted + east.summary.drifted} drifted (${drift}`);
  });

  it('-o json / -o yaml: a FleetInjectionReport with the total summary and clusters[] carrying each cluster\'s report', async () => {
    const fleet = json(await runCli(['status', '--demo', '--all-contexts', '-o', 'json']));
    const demo = json(await runCli(['status', '--demo', '-o', 'json']));
    expect(fleet).toMatchObject({ kind: 'FleetInjectionReport', apiVersion: 'inject.istio-tools.dev/v1alpha1', partial: false });
    expect(fleet.summary).toMatchObject({ clusters: 2, failed: 0, failedClusters: [] });
    const [d] = fleet.clusters;
    expect(d).toEqual({ name: 'demo', context: 'demo', partial: false, warnings: [], error: null, summary: demo.summary, source: demo.source, injectors: demo.injectors, findings: demo.findings, namespaces: demo.namespaces, pods: demo.pods });
    expect(fleet.summary.byFinding.HostNetwork).toBe(demo.summary.byFinding.HostNetwork);
    expect(yaml.load((await runCli(['status', '--demo', '--all-contexts', '-o', 'yaml'])).stdout)).toEqual(fleet);
  });

  it('--drift-only, -o wide, --no-headers and --exit-code apply to every cluster', async () => {
    const wide = await runCli(['status', '--demo', '--all-contexts', '-o', 'wide', '-n', 'shop', '--drift-only']);
    expect(wide.stdout.split('\n\n')[1]!.split('\n')[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+POD\s+.*\s+IMAGE\s+REASON$/);
    expect(wide.stdout).toMatch(/^east\s+shop\s+checkout-\S+\s+.*ProxyImageMismatch,StaleTemplate\s+-\s+docker\.io\/istio\/proxyv2:1\.27\.1\s/m);
    const bare = await runCli(['status', '--demo', '--all-contexts', '--no-headers']);
    expect(bare.stdout).not.toMatch(/CLUSTER|total:/);
    expect((await runCli(['status', '--demo', '--all-contexts', '--exit-code'])).code).toBe(3);
    expect((await runCli(['status', '--demo', '--all-contexts', '-n', 'kube-system', '--exit-code'])).code).toBe(0);
  });

  it('bad usage exits 2 with one line: an unknown context, --all-contexts with --context, a list with --snapshot', async () => {
    const cases: [string[], string][] = [
      [['--demo', '--context', 'demo,west'], 'error: context "west" does not exist in the demo (its contexts: demo, east)\n'],
      [['--demo', '--context', 'north,west'], 'error: contexts "north", "west" do not exist in the demo (its contexts: demo, east)\n'],
      [['--demo', '--context', 'west'], 'error: context "west" does not exist in the demo (its contexts: demo, east)\n'],
      [['--snapshot', 'demo/east.yaml', '--context', 'a,b'], 'error: --snapshot reads one cluster: a list of contexts and --all-contexts need a kubeconfig (or --demo)\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await runCli(['status', ...args]);
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, stderr]);
      expect(r.stdout).toBe('');
    }
    const both = await runCli(['status', '--demo', '--all-contexts', '--context', 'east']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('explain and rollout over the demo\'s clusters', () => {
  it('explain: the target in each context that has it; not found in one is reported for it; none: exit 1', async () => {
    const r = await runCli(['explain', 'deployment/search', '-n', 'shop', '--demo', '--context', 'east,demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('==> context east <==\nnot found: deployment "search" not found in namespace "shop"\n\n==> context demo <==\nDeployment shop/search\n')).toBe(true);
    expect(r.stderr).toBe('warning: context east: deployment "search" not found in namespace "shop"\n');
    const alone = await runCli(['explain', 'deployment/search', '-n', 'shop', '--demo']);
    expect(r.stdout.endsWith(alone.stdout)).toBe(true);

    const j = json(await runCli(['explain', 'deployment/checkout', '-n', 'shop', '--demo', '--all-contexts', '-o', 'json']));
    expect(j.kind).toBe('FleetInjectionExplanation');
    expect(j.clusters.map((c: { name: string; error: unknown; explanation: { drift: string[] } }) => [c.name, c.error, c.explanation.drift])).toEqual([
      ['demo', null, ['StaleTemplate']],
      ['east', null, ['ProxyImageMismatch', 'StaleTemplate']],
    ]);
    expect((await runCli(['explain', 'deployment/checkout', '-n', 'shop', '--demo', '--all-contexts', '--exit-code'])).code).toBe(3);

    const none = await runCli(['explain', 'deployment/nope', '-n', 'shop', '--demo', '--all-contexts']);
    expect([none.code, none.stdout, none.stderr]).toEqual([1, '', 'error: deployment "nope" (namespace "shop") not found in any of the contexts demo, east\n']);
  });

  it('rollout --dry-run plans each context in order; applying to the demo is refused before anything is read', async () => {
    const r = await runCli(['rollout', '-n', 'shop', '--demo', '--context', 'east,demo', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.indexOf('==> context east <==')).toBe(0);
    expect(r.stdout.indexOf('==> context demo <==')).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/Contexts, in order:\nCONTEXT\s+OUTCOME\s+MESSAGE\neast\s+dry-run\s+planned; nothing was sent\ndemo\s+dry-run\s+planned; nothing was sent\n$/);
    const out = json(await runCli(['rollout', '-n', 'shop', '--demo', '--context', 'east,demo', '--dry-run', '-o', 'json']));
    expect(out.clusters.map((c: { name: string; outcome: string; document: { kind: string } }) => [c.name, c.outcome, c.document.kind])).toEqual([
      ['east', 'dry-run', 'RolloutPlan'],
      ['demo', 'dry-run', 'RolloutPlan'],
    ]);
    const badTimeout = await runCli(['rollout', '-n', 'shop', '--demo', '--context', 'east,demo', '--dry-run', '--timeout', 'soon']);
    expect([badTimeout.code, badTimeout.stdout, badTimeout.stderr]).toEqual([2, '', 'error: invalid duration for --timeout: "soon" (examples: 30s, 2m, 1h)\n']);
    const refused = await runCli(['rollout', '-n', 'shop', '--demo', '--context', 'east,demo', '--yes']);
    expect([refused.code, refused.stdout, refused.stderr]).toEqual([1, '', 'error: rollout applies changes to a live cluster; with --snapshot or --demo use --dry-run\n']);
  });
});

describe('fleet helpers', () => {
  it('fleetContexts: null for one cluster, the list in order without duplicates, a lone context as a list of one', async () => {
    expect(await fleetContexts({ demo: true })).toBeNull();
    expect(await fleetContexts({ demo: true, context: 'east' })).toBeNull();
    expect(await fleetContexts({ demo: true, context: 'east, demo,east,' })).toEqual(['east', 'demo']);
    expect(await fleetContexts({ demo: true, context: 'east,east' })).toEqual(['east']);
    expect(await fleetContexts({ demo: true, 'all-contexts': true })).toEqual(['demo', 'east']);
    await expect(fleetContexts({ demo: true, context: ',' })).rejects.toThrow(UserError);
  });

  it('forEachContext: at most `limit` at once, results in the given order, a failure kept to its context', async () => {
    let running = 0;
    let peak = 0;
    const closed: string[] = [];
    const source = (name: string) => ({ close: async () => void closed.push(name) }) as unknown as ClusterSource;
    const outcomes = await forEachContext(
      ['a', 'b', 'c', 'd', 'e'],
      async (name) => {
        if (name === 'd') throw new UserError('cannot reach the Kubernetes API at d: connection refused\n  more');
        return source(name);
      },
      async (name) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, name === 'a' ? 40 : 5));
        running--;
        if (name === 'c') throw new Error('boom');
        return name.toUpperCase();
      },
      { limit: 2 },
    );
    expect(peak).toBe(2);
    expect(outcomes).toEqual([
      { context: 'a', ok: true, value: 'A' },
      { context: 'b', ok: true, value: 'B' },
      { context: 'c', ok: false, error: 'boom' },
      { context: 'd', ok: false, error: 'cannot reach the Kubernetes API at d: connection refused more' },
      { context: 'e', ok: true, value: 'E' },
    ]);
    expect(closed.sort()).toEqual(['a', 'b', 'c', 'e']);
  });

  it('writeFleetJson writes the bytes of JSON.stringify(fleet, null, 2), also past one streamed batch of pods', async () => {
    const demo = json(await runCli(['status', '--demo', '-o', 'json']));
    const many = { ...demo, pods: Array.from({ length: 1203 }, (_, i) => ({ ...demo.pods[i % demo.pods.length], name: `p-${i}` })) };
    const empty = { ...demo, pods: [] };
    const fleet = fleetReport([
      { context: 'big', ok: true, value: many },
      { context: 'dead', ok: false, error: 'connection refused' },
      { context: 'empty', ok: true, value: empty },
    ]);
    const chunks: Uint8Array[] = [];
    writeFleetJson(fleet, { write: (chunk) => chunks.push(Uint8Array.from(chunk)) });
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(`${JSON.stringify(fleet, null, 2)}\n`);
    expect(fleet.summary).toMatchObject({ clusters: 3, failed: 1, failedClusters: ['dead'], pods: demo.summary.pods * 2 });
  });

  it('FleetProgress: one line on a TTY with each context\'s phase and the count done; nothing otherwise', () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 200, write: (t: string) => written.push(t) } as unknown as NodeJS.WriteStream;
    const p = new FleetProgress(['a', 'b'], tty);
    p.update('a', 'listing pods… 500', true);
    p.update('b', 'reading cluster configuration…', true);
    p.finish('a');
    p.done();
    expect(written).toEqual([
      '\r\u001b[2Kcontexts 0/2 done  a: listing pods… 500',
      '\r\u001b[2Kcontexts 0/2 done  a: listing pods… 500  b: reading cluster configuration…',
      '\r\u001b[2Kcontexts 1/2 done  b: reading cluster configuration…',
      '\r\u001b[2K',
    ]);
    const piped: string[] = [];
    const q = new FleetProgress(['a'], { isTTY: false, write: (t: string) => piped.push(t) } as unknown as NodeJS.WriteStream);
    q.update('a', 'x', true);
    q.finish('a');
    q.done();
    expect(piped).toEqual([]);
  });
});

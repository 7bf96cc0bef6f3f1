// Fleets end to end: the built CLI against two test clusters at once (the demo's two clusters, "demo"
// and "east"), through one kubeconfig with both contexts; then one of them stopped.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { mergeKubeconfigYamls } from '../cluster/kubeconfig.js';
import { startTestCluster, type TestCluster } from '../cluster/server.js';
import { json as parse, runCli } from '../cli/run-cli.js';
import { demoCluster, writes } from './live-cluster.js';

const EAST_FILE = fileURLToPath(new URL('../../demo/east.yaml', import.meta.url));

let demo: TestCluster;
let east: TestCluster;
let dir: string;
let kubeconfig: string;
let eastStopped = false;

beforeAll(async () => {
  [demo, east] = await Promise.all([demoCluster(), startTestCluster({ objects: readSnapshotObjects(EAST_FILE) })]);
  dir = mkdtempSync(join(tmpdir(), 'fleet-live-'));
  kubeconfig = join(dir, 'kubeconfig');
  // current-context east: a single-context run reads east, the fleet runs read both.
  writeFileSync(kubeconfig, mergeKubeconfigYamls([demo.kubeconfig({ context: 'demo' }), east.kubeconfig({ context: 'east' })], 'east'));
});
afterAll(async () => {
  await Promise.all([demo?.close(), eastStopped ? undefined : east?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const live = (args: string[]) => runCli([...args, '--kubeconfig', kubeconfig]);
const withoutSource = (report: Record<string, unknown>) => {
  const copy = { ...report };
  delete copy.source;
  delete copy.kind;
  delete copy.apiVersion;
  return copy;
};

describe('status over several contexts, live', () => {
  it('--all-contexts reads both clusters in full; each equals its single-cluster audit; only GETs are sent', async () => {
    demo.clearRequests();
    east.clearRequests();
    const r = await live(['status', '--all-contexts', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const fleet = parse(r);
    expect(fleet.kind).toBe('FleetInjectionReport');
    expect(fleet.clusters.map((c: { name: string; context: string; error: unknown }) => [c.name, c.context, c.error])).toEqual([
      ['demo', 'demo', null],
      ['east', 'east', null],
    ]);
    const demoAlone = parse(await runCli(['status', '--demo', '-o', 'json']));
    const eastAlone = parse(await runCli(['status', '--demo', '--context', 'east', '-o', 'json']));
    const [a, b] = fleet.clusters;
    expect(a.source).toMatchObject({ type: 'live', partial: false });
    expect(a.source.location).toContain(demo.url);
    expect(b.source.location).toContain(east.url);
    const clusterFields = (c: Record<string, unknown>) => {
      const { name: _n, context: _c, partial: _p, warnings: _w, error: _e, source: _s, ...rest } = c;
      return rest;
    };
    expect(clusterFields(a)).toEqual(withoutSource(demoAlone));
    expect(clusterFields(b)).toEqual(withoutSource(eastAlone));
    // The total adds the two clusters up.
    expect(fleet.summary).toMatchObject({
      clusters: 2,
      failed: 0,
      pods: demoAlone.summary.pods + eastAlone.summary.pods,
      drifted: demoAlone.summary.drifted + eastAlone.summary.drifted,
      namespaces: demoAlone.summary.namespaces + eastAlone.summary.namespaces,
    });
    expect(fleet.summary.byDrift.RevisionMismatch).toBe(demoAlone.summary.byDrift.RevisionMismatch + eastAlone.summary.byDrift.RevisionMismatch);
    expect(demo.requests.length).toBeGreaterThan(0);
    expect(east.requests.length).toBeGreaterThan(0);
    expect([...writes(demo), ...writes(east)]).toEqual([]);
  });

  it('a single context (the current one, or --context NAME) keeps the single-cluster output: no CLUSTER column', async () => {
    const current = await live(['status']);
    const named = await live(['status', '--context', 'east']);
    const eastDemo = await runCli(['status', '--demo', '--context', 'east']);
    expect(current.code, current.stderr).toBe(0);
    expect(current.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+INJECTION LABELS/);
    expect(current.stdout).toBe(eastDemo.stdout);
    expect(named.stdout).toBe(eastDemo.stdout);
    expect(parse(await live(['status', '--context', 'east,east', '-o', 'json'])).kind).toBe('InjectionReport');
  });

  it('--context b,a keeps the order given, and a name given twice is read once', async () => {
    east.clearRequests();
    const r = await live(['status', '--context', 'east,demo,east', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r).clusters.map((c: { name: string }) => c.name)).toEqual(['east', 'demo']);
    // east was audited once: one namespace list.
    expect(east.requests.filter((q) => q.resource === 'namespaces' && q.verb === 'list')).toHaveLength(1);
    const table = await live(['status', '--context', 'east,demo', '--drift-only']);
    const clusterColumn = table.stdout.split('\n\n')[1]!.split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
    expect(clusterColumn.indexOf('demo')).toBeGreaterThan(clusterColumn.lastIndexOf('east'));
  });

  it('an unknown context in the list is bad usage with one clear line, and nothing is read', async () => {
    demo.clearRequests();
    const r = await live(['status', '--context', 'demo,nope']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: context "nope" does not exist in the kubeconfig (its contexts: demo, east)\n');
    expect(demo.requests).toEqual([]);
  });

  it('--exit-code: 3 when a cluster drifts, 0 without it', async () => {
    expect((await live(['status', '--all-contexts', '--exit-code'])).code).toBe(3);
    expect((await live(['status', '--all-contexts'])).code).toBe(0);
  });

  // Last: stops east.
  it('with one cluster stopped, the other is reported in full and the dead one as an error row; exit 1', async () => {
    const full = await live(['status', '--all-contexts']);
    await east.close();
    eastStopped = true;
    const r = await live(['status', '--all-contexts', '--exit-code']);
    expect(r.code).toBe(1);
    const [nsTable, podTable, summary] = r.stdout.trimEnd().split('\n\n');
    expect(nsTable!.split('\n')[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+INJECTION LABELS\s+REVISION\s+PODS\s+INJECTED\s+DRIFTED\s+FINDINGS$/);
    const eastRows = nsTable!.split('\n').filter((l) => l.startsWith('east '));
    expect(eastRows).toHaveLength(1);
    expect(eastRows[0]).toMatch(/^east\s+<error>\s+-\s+-\s+-\s+-\s+-\s+error: cannot reach the Kubernetes API at .*connection refused$/);
    // demo in full: the same namespace and pod rows as when both were up (column widths aside: east's
    // rows no longer widen them).
    const [fullNs, fullPods] = full.stdout.split('\n\n');
    const demoLines = (table: string) => table.split('\n').filter((l) => l.startsWith('demo ')).map((l) => l.split(/\s+/).join(' '));
    expect(demoLines(nsTable!)).toEqual(demoLines(fullNs!));
    expect(demoLines(podTable!)).toEqual(demoLines(fullPods!));
    expect(podTable!.split('\n').some((l) => l.startsWith('east '))).toBe(false);
    expect(summary).toMatch(/^demo: {2}\d+ namespaces, \d+ pods/m);
    expect(summary).toMatch(/^east: {2}error: cannot reach the Kubernetes API/m);
    expect(summary).toMatch(/^total: 2 clusters \(1 could not be read: east\), /m);
    expect(r.stderr).toMatch(/^error: context east: cannot reach the Kubernetes API at .*connection refused$/m);
    expect(r.stderr).toMatch(/^error: 1 of 2 contexts could not be read \(east\); the others are reported in full$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const j = await live(['status', '--all-contexts', '-o', 'json']);
    expect(j.code).toBe(1);
    const fleet = parse(j);
    expect(fleet.partial).toBe(true);
    expect(fleet.summary).toMatchObject({ clusters: 2, failed: 1, failedClusters: ['east'] });
    const [d, e] = fleet.clusters;
    expect(d).toMatchObject({ name: 'demo', error: null, partial: false });
    expect(d.pods.length).toBe(fleet.summary.pods);
    expect(e).toMatchObject({ name: 'east', context: 'east', partial: true, summary: null, pods: [], namespaces: [] });
    expect(e.error).toMatch(/^cannot reach the Kubernetes API at .*: connection refused$/);
  });
});

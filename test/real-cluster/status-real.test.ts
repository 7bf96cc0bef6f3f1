// status and explain against the real API server with the demo loaded: the same results as the
// snapshot (--demo), only GET requests (the API server's audit log is the record), the real server
// version, and RBAC of a real ServiceAccount giving a PARTIAL report that names what was hidden.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { demoObjects } from '../live/live-cluster.js';
import { KUBERNETES_VERSION } from './build.js';
import { ADMIN_USER } from './control-plane.js';
import type { RawObject } from './rest.js';
import { describeRealCluster, useRealCluster } from './suite.js';

/** Namespaces every real API server has and the demo snapshot does not (they hold no pods). */
const SERVER_NAMESPACES = ['default', 'kube-node-lease', 'kube-public'];

/** A status report without its source, and without the namespaces only a real server has. */
function comparable(stdout: string, dropServerNamespaces: boolean): RawObject {
  const report = JSON.parse(stdout);
  delete report.source;
  if (dropServerNamespaces) {
    const dropped = report.namespaces.filter((n: RawObject) => SERVER_NAMESPACES.includes(n.name));
    expect(dropped.map((n: RawObject) => n.name)).toEqual(SERVER_NAMESPACES);
    expect(dropped.every((n: RawObject) => n.pods === 0 && n.findings.length === 0)).toBe(true);
    report.namespaces = report.namespaces.filter((n: RawObject) => !SERVER_NAMESPACES.includes(n.name));
    report.summary.namespaces -= dropped.length;
  }
  return report;
}

/**
 * Labels the real controllers put on the pods they own (the demo's pods, written by hand, lack them;
 * the loader adds the Job and DaemonSet ones so that the controllers adopt the pods).
 */
const CONTROLLER_LABELS = new Set([
  'controller-revision-hash',
  'apps.kubernetes.io/pod-index',
  'statefulset.kubernetes.io/pod-name',
  'pod-template-generation',
  'batch.kubernetes.io/controller-uid',
  'controller-uid',
  'batch.kubernetes.io/job-name',
  'job-name',
]);
function withoutControllerLabels(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutControllerLabels);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !CONTROLLER_LABELS.has(k)).map(([k, v]) => [k, withoutControllerLabels(v)]));
}

describeRealCluster('status and explain against a real API server', () => {
  const cluster = useRealCluster(() => demoObjects() as RawObject[]);
  const live = (args: string[], kubeconfig = cluster().kubeconfigPath) => runCli([...args, '--kubeconfig', kubeconfig]);
  /** Audit events of the CLI's user since `from` (index into the log). */
  const cliEvents = (from: number) => cluster().controlPlane.auditEvents().slice(from).filter((e) => e.user.username === ADMIN_USER);

  it('kubectl version reports the real server version', () => {
    const r = spawnSync('kubectl', ['version', '-o', 'json', '--kubeconfig', cluster().kubeconfigPath], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).serverVersion).toMatchObject({ gitVersion: KUBERNETES_VERSION, major: '1', minor: KUBERNETES_VERSION.split('.')[1] });
  });

  it('status -A -o json equals status --demo (same verdicts), sending only GETs', async () => {
    const from = cluster().controlPlane.auditEvents().length;
    const fromLive = await live(['status', '-A', '-o', 'json']);
    expect(fromLive.code, fromLive.stderr).toBe(0);
    expect(JSON.parse(fromLive.stdout).source).toMatchObject({ type: 'live', partial: false });
    const fromDemo = await runCli(['status', '--demo', '-o', 'json']);
    expect(comparable(fromLive.stdout, true)).toEqual(comparable(fromDemo.stdout, false));

    const events = cliEvents(from);
    expect(events.length).toBeGreaterThan(5);
    expect(events.filter((e) => !['get', 'list', 'watch'].includes(e.verb)).map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
    // The table shows the same verdicts as the demo's, row for row (the server's empty namespaces aside).
    const table = await live(['status', '-A']);
    const demoTable = await runCli(['status', '--demo']);
    const rows = (text: string) =>
      text
        .split('\n')
        .map((l) => l.trim().replace(/\s+/g, ' '))
        .filter((l) => l !== '' && !SERVER_NAMESPACES.includes(l.split(' ')[0]!) && !/^\d+ namespaces,/.test(l));
    expect(rows(table.stdout).length).toBeGreaterThan(20);
    expect(rows(table.stdout)).toEqual(rows(demoTable.stdout));
  });

  it('explain equals the snapshot explanation for every third pod and a workload, sending only GETs', async () => {
    const demo = JSON.parse((await runCli(['status', '--demo', '-o', 'json'])).stdout);
    const from = cluster().controlPlane.auditEvents().length;
    for (const pod of demo.pods.filter((_: unknown, i: number) => i % 3 === 0)) {
      const a = await live(['explain', `pod/${pod.name}`, '-n', pod.namespace, '-o', 'json']);
      const b = await runCli(['explain', `pod/${pod.name}`, '-n', pod.namespace, '--demo', '-o', 'json']);
      expect(a.code, a.stderr).toBe(0);
      expect(withoutControllerLabels(JSON.parse(a.stdout)), `${pod.namespace}/${pod.name}`).toEqual(withoutControllerLabels(JSON.parse(b.stdout)));
    }
    const dep = await live(['explain', 'deployment/cart', '-n', 'shop', '-o', 'json']);
    const depDemo = await runCli(['explain', 'deployment/cart', '-n', 'shop', '--demo', '-o', 'json']);
    expect(JSON.parse(dep.stdout)).toEqual(JSON.parse(depDemo.stdout));
    const events = cliEvents(from);
    expect(events.length).toBeGreaterThan(10);
    expect(events.filter((e) => !['get', 'list', 'watch'].includes(e.verb))).toEqual([]);
  }, 180_000);

  it('a ServiceAccount that may not read one namespace gets a PARTIAL report naming it', async () => {
    const kubeconfig = await cluster().restrictedKubeconfig(['shop']);
    const r = await live(['status', '-A', '-o', 'json'], kubeconfig);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.source.partial).toBe(true);
    expect(report.source.warnings.join('\n')).toMatch(/shop/);
    expect(r.stderr).toMatch(/PARTIAL/);
    expect(report.pods.some((p: RawObject) => p.namespace === 'shop')).toBe(false);
    // Everything else is read as the admin reads it.
    const admin = JSON.parse((await live(['status', '-A', '-o', 'json'])).stdout);
    expect(report.pods).toEqual(admin.pods.filter((p: RawObject) => p.namespace !== 'shop'));
    const table = await live(['status', '-A'], kubeconfig);
    expect(table.stdout).toMatch(/PARTIAL/);
  });
});

// npm run test-cluster -- [--demo | --snapshot PATH | --synthetic PODS:NAMESPACES] [--port N] [--tls [--client-certs]] [--token T] [--kubeconfig-out PATH] [--context NAME] [--latency MS]
// Runs a test cluster in the foreground until SIGINT/SIGTERM; writes the kubeconfig once listening.
// --context names the kubeconfig's context, cluster and user (default test-cluster): run two instances
// with different names and KUBECONFIG=a:b for a fleet (`kubectl inject status --all-contexts`).
// --latency delays every request by MS milliseconds before it is handled (a real API server's round trip).
// --synthetic 100000:2000 seeds 100,000 realistic pods across 2,000 namespaces (plus their workloads and
// the demo's control plane) in a few seconds, into under 1 GB.
import { parseArgs } from 'node:util';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { startTestCluster } from './server.js';
import { DEMO_PATH, parseSyntheticSpec } from './synthetic.js';

const USAGE =
  'usage: npm run test-cluster -- [--demo | --snapshot PATH | --synthetic PODS:NAMESPACES] [--port N] [--tls [--client-certs]] [--token TOKEN] [--kubeconfig-out PATH] [--context NAME] [--namespace NS] [--latency MS]';

function fail(message: string): never {
  process.stderr.write(`test-cluster: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        demo: { type: 'boolean', default: false },
        snapshot: { type: 'string' },
        synthetic: { type: 'string' },
        controllers: { type: 'boolean', default: false },
        port: { type: 'string', default: '0' },
        tls: { type: 'boolean', default: false },
        'client-certs': { type: 'boolean', default: false },
        token: { type: 'string' },
        'kubeconfig-out': { type: 'string' },
        namespace: { type: 'string' },
        context: { type: 'string' },
        latency: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sources = [args.demo && '--demo', args.snapshot !== undefined && '--snapshot', args.synthetic !== undefined && '--synthetic'].filter(Boolean);
  if (sources.length > 1) fail(`${sources.join(' and ')} exclude each other`);
  let synthetic: { pods: number; namespaces: number } | undefined;
  try {
    synthetic = args.synthetic !== undefined ? parseSyntheticSpec(args.synthetic) : undefined;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args['client-certs'] && !args.tls) fail('--client-certs needs --tls');
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${args.port}`);
  const latencyMs = args.latency === undefined ? 0 : Number(args.latency);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) fail(`invalid --latency ${args.latency}`);

  const source = args.demo ? DEMO_PATH : args.snapshot;
  const objects = source ? readSnapshotObjects(source) : [];
  const started = performance.now();
  const cluster = await startTestCluster({
    objects,
    port,
    tls: args.tls,
    ...(args['client-certs'] ? { clientCertificates: true } : {}),
    ...(args.token !== undefined ? { token: args.token } : {}),
    ...(synthetic ? { synthetic } : {}),
    ...(args.controllers ? { controllers: {} } : {}),
    ...(latencyMs > 0 ? { faults: [{ latencyMs }] } : {}),
  });
  const kubeconfigPath = args['kubeconfig-out'] ?? cluster.kubeconfigPath;
  cluster.writeKubeconfig(kubeconfigPath, { ...(args.namespace ? { namespace: args.namespace } : {}), ...(args.context ? { context: args.context } : {}) });

  const skipped = new Map<string, number>();
  for (const kind of cluster.skippedKinds) skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
  if (synthetic) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const rssMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
    process.stderr.write(
      `test-cluster: serving a synthetic cluster of ${cluster.store.count('Pod')} pods in ${synthetic.namespaces} namespaces ` +
        `(${cluster.store.count('Deployment')} Deployments, ${cluster.store.count('ReplicaSet')} ReplicaSets, ${cluster.store.count('StatefulSet')} StatefulSets, ` +
        `the demo's control plane) at ${cluster.url}; seeded in ${seconds} s, RSS ${rssMb} MB\n`,
    );
  } else {
    const loaded = objects.length - cluster.skippedKinds.length;
    process.stderr.write(`test-cluster: serving ${loaded} objects${source ? ` from ${source}` : ''} at ${cluster.url}\n`);
  }
  if (latencyMs > 0) process.stderr.write(`test-cluster: every request delayed by ${latencyMs} ms\n`);
  if (skipped.size > 0) process.stderr.write(`test-cluster: skipped unsupported kinds: ${[...skipped].map(([k, n]) => `${k} (${n})`).join(', ')}\n`);
  process.stderr.write(`test-cluster: kubeconfig: ${kubeconfigPath}\n`);

  const stop = (): void => {
    void cluster.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`test-cluster: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

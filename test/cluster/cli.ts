// npm run test-cluster -- [--demo | --snapshot PATH] [--port N] [--tls] [--token T] [--kubeconfig-out PATH]
// Runs a test cluster in the foreground until SIGINT/SIGTERM; writes the kubeconfig once listening.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { startTestCluster } from './server.js';

const USAGE = 'usage: npm run test-cluster -- [--demo | --snapshot PATH] [--port N] [--tls] [--token TOKEN] [--kubeconfig-out PATH] [--namespace NS]';
const DEMO_PATH = fileURLToPath(new URL('../../demo', import.meta.url));

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
        port: { type: 'string', default: '0' },
        tls: { type: 'boolean', default: false },
        token: { type: 'string' },
        'kubeconfig-out': { type: 'string' },
        namespace: { type: 'string' },
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
  if (args.demo && args.snapshot) fail('--demo and --snapshot exclude each other');
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${args.port}`);

  const source = args.demo ? DEMO_PATH : args.snapshot;
  const objects = source ? readSnapshotObjects(source) : [];
  const cluster = await startTestCluster({ objects, port, tls: args.tls, ...(args.token !== undefined ? { token: args.token } : {}) });
  const kubeconfigPath = args['kubeconfig-out'] ?? cluster.kubeconfigPath;
  cluster.writeKubeconfig(kubeconfigPath, args.namespace ? { namespace: args.namespace } : {});

  const skipped = new Map<string, number>();
  for (const kind of cluster.skippedKinds) skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
  const loaded = objects.length - cluster.skippedKinds.length;
  process.stderr.write(`test-cluster: serving ${loaded} objects${source ? ` from ${source}` : ''} at ${cluster.url}\n`);
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

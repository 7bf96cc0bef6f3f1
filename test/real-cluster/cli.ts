// npm run real-cluster -- [--demo | --snapshot PATH] --kubeconfig-out PATH [--restricted-kubeconfig-out PATH --hide NS,...]
// Builds the control plane if needed, starts it on loopback with the state loaded, writes the
// kubeconfig once ready and stays in the foreground until SIGINT/SIGTERM, then cleans up.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { startRealCluster } from './real-cluster.js';
import type { RawObject } from './rest.js';

const DEMO = fileURLToPath(new URL('../../demo/cluster.yaml', import.meta.url));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean', default: false },
      snapshot: { type: 'string' },
      'kubeconfig-out': { type: 'string' },
      'restricted-kubeconfig-out': { type: 'string' },
      hide: { type: 'string', default: '' },
      'keep-dir': { type: 'boolean', default: false },
    },
  });
  if (values.demo && values.snapshot) throw new Error('give --demo or --snapshot PATH, not both');
  const out = values['kubeconfig-out'];
  if (!out) throw new Error('--kubeconfig-out PATH is required');
  const objects = values.snapshot || values.demo ? (readSnapshotObjects(values.snapshot ?? DEMO) as RawObject[]) : [];
  const cluster = await startRealCluster({ objects, log: (line) => console.error(line), keepDir: values['keep-dir'] });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`real-cluster: ${signal}, stopping`);
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  writeFileSync(out, cluster.kubeconfig, { mode: 0o600 });
  const restricted = values['restricted-kubeconfig-out'];
  if (restricted) {
    const hidden = values.hide.split(',').filter(Boolean);
    writeFileSync(restricted, await import('node:fs').then((fs) => cluster.restrictedKubeconfig(hidden).then((p) => fs.readFileSync(p, 'utf8'))), { mode: 0o600 });
    console.error(`real-cluster: restricted ServiceAccount kubeconfig (hidden: ${hidden.join(', ') || 'none'}) written to ${restricted}`);
  }
  console.error(`real-cluster: ready at ${cluster.controlPlane.server}; kubeconfig written to ${out}; logs and audit log in ${cluster.controlPlane.dir}; Ctrl-C stops`);
}

main().catch((error: Error) => {
  console.error(`real-cluster: ${error.message}`);
  process.exit(1);
});

// Starting the test cluster with the demo (or any objects) for end-to-end tests of the real commands.
import { fileURLToPath } from 'node:url';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../cluster/server.js';
import { runCli, type CliResult } from '../cli/run-cli.js';

export const DEMO_FILE = fileURLToPath(new URL('../../demo/cluster.yaml', import.meta.url));

export function demoObjects() {
  return readSnapshotObjects(DEMO_FILE);
}

export async function demoCluster(options: Omit<TestClusterOptions, 'objects'> = {}): Promise<TestCluster> {
  return startTestCluster({ objects: demoObjects(), ...options });
}

/** Request log entries that are not reads. */
export function writes(cluster: TestCluster) {
  return cluster.requests.filter((r) => r.method !== 'GET');
}

/** The built CLI against a cluster (its kubeconfig appended). */
export const live = (c: TestCluster, args: string[]): Promise<CliResult> => runCli([...args, '--kubeconfig', c.kubeconfigPath]);


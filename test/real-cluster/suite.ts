// Shared by the real-cluster test files: whether they can run (go on PATH), and one real cluster
// per test file (started in beforeAll, stopped in afterAll).
import { afterAll, beforeAll, describe } from 'vitest';
import { goAvailable } from './build.js';
import { startRealCluster, type RealCluster } from './real-cluster.js';
import type { RawObject } from './rest.js';

export const GO = goAvailable();
export const SKIP_REASON = GO ? '' : ' (skipped: go is not on PATH, so the real control plane cannot be built)';

/** describe() that runs only where the control plane can be built, and says why it is skipped otherwise. */
export function describeRealCluster(name: string, body: () => void): void {
  describe.skipIf(!GO)(`${name} [real kube-apiserver]${SKIP_REASON}`, body);
}

/** A real cluster with `objects` loaded, for the current test file. */
export function useRealCluster(objects: () => RawObject[]): () => RealCluster {
  let cluster: RealCluster | undefined;
  beforeAll(async () => {
    cluster = await startRealCluster({ objects: objects() });
  }, 600_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  return () => {
    if (!cluster) throw new Error('the real cluster did not start');
    return cluster;
  };
}

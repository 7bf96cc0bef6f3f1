// vitest globalSetup: builds the real control plane once (cached; the first build on a machine takes
// minutes) before any test file starts, when go is on PATH.
import { ensureBinaries, goAvailable } from './build.js';

export default async function setup(): Promise<void> {
  if (!goAvailable()) {
    console.warn('real-cluster tests skipped: go is not on PATH, so etcd, kube-apiserver, kube-controller-manager and kwok cannot be built');
    return;
  }
  const started = Date.now();
  await ensureBinaries((line) => console.warn(line));
  if (Date.now() - started > 5000) console.warn(`real-cluster: binaries ready after ${Math.round((Date.now() - started) / 1000)} s`);
}

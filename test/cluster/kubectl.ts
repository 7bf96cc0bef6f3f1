// Runs the real kubectl binary against a test cluster, isolated: an explicit --kubeconfig (also in
// KUBECONFIG), and a fresh HOME and --cache-dir for every call.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Whether a kubectl binary is on PATH. */
export const kubectlAvailable: boolean = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

export function kubectl(kubeconfigPath: string, args: readonly string[], input?: string): Promise<KubectlResult> {
  const home = mkdtempSync(join(tmpdir(), 'kubectl-home-'));
  const fullArgs = ['--kubeconfig', kubeconfigPath, '--cache-dir', join(home, 'cache'), ...args];
  const env = { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: kubeconfigPath };
  return new Promise((resolve) => {
    const child = execFile('kubectl', fullArgs, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      rmSync(home, { recursive: true, force: true });
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

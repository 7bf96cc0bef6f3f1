// Builds (once) the real control plane the real-cluster tests run against: etcd, kube-apiserver,
// kube-controller-manager and kwok, from the Go tools modules in ./tools (each pins one release).
// Binaries are cached outside the clone, keyed on the pinned versions and the Go toolchain, so only
// the first run on a machine builds. Test infrastructure only: the product has no Go at run time.
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOLS = fileURLToPath(new URL('./tools/', import.meta.url));

/** The Kubernetes release the kube tools module pins (also what `kubectl version` reports). */
export const KUBERNETES_VERSION = pinnedVersion('kube', 'k8s.io/kubernetes');
export const ETCD_VERSION = pinnedVersion('etcd', 'go.etcd.io/etcd/server/v3');
export const KWOK_VERSION = pinnedVersion('kwok', 'sigs.k8s.io/kwok');

export interface ControlPlaneBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kwok: string;
}

interface BuildStep {
  module: string;
  packages: string[];
  ldflags: string[];
}

function pinnedVersion(module: string, path: string): string {
  const goMod = readFileSync(join(TOOLS, module, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${path.replace(/[./]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match) throw new Error(`test/real-cluster/tools/${module}/go.mod does not require ${path}`);
  return match[1];
}

function kubeVersionFlags(version: string): string[] {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const flags: string[] = [];
  // The same variables hack/lib/version.sh sets, so that /version and `kubectl version` report the release.
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
    );
  }
  return flags;
}

function steps(): BuildStep[] {
  return [
    {
      module: 'kube',
      packages: ['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kube-controller-manager'],
      ldflags: kubeVersionFlags(KUBERNETES_VERSION),
    },
    { module: 'etcd', packages: ['go.etcd.io/etcd/server/v3'], ldflags: [] },
    { module: 'kwok', packages: ['sigs.k8s.io/kwok/cmd/kwok'], ldflags: [] },
  ];
}

export function goAvailable(): boolean {
  return goVersion() !== undefined;
}

function goVersion(): string | undefined {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The cache directory: versions in the name, and a hash of everything that changes the binaries. */
export function cacheDir(): string {
  const root =
    process.env.KUBECTL_INJECT_REAL_CLUSTER_CACHE ??
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kubectl-inject', 'real-cluster');
  const hash = createHash('sha256');
  hash.update(goVersion() ?? 'no-go');
  for (const step of steps()) {
    hash.update(JSON.stringify(step));
    for (const file of ['go.mod', 'go.sum']) hash.update(readFileSync(join(TOOLS, step.module, file)));
  }
  const key = `k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${hash.digest('hex').slice(0, 12)}`;
  return join(root, key);
}

function binaries(dir: string): ControlPlaneBinaries {
  return {
    dir,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kwok: join(dir, 'kwok'),
  };
}

function complete(dir: string): boolean {
  return existsSync(join(dir, 'COMPLETE'));
}

function run(command: string, args: string[], cwd: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        log(output.trimEnd());
        reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) exited with ${code}`));
      }
    });
  });
}

/**
 * Returns the four binaries, building them first if this machine has none for the pinned versions.
 * Concurrent callers wait for one build (a lock directory beside the cache entry).
 */
export async function ensureBinaries(log: (line: string) => void = () => {}): Promise<ControlPlaneBinaries> {
  if (!goAvailable()) throw new Error('go is not on PATH: the real-cluster binaries cannot be built');
  const dir = cacheDir();
  if (complete(dir)) return binaries(dir);
  mkdirSync(dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      if (complete(dir)) return binaries(dir);
      if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (complete(dir)) return binaries(dir);
    const staging = `${dir}.building-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const started = Date.now();
    for (const step of steps()) {
      const t = Date.now();
      log(`real-cluster: building ${step.packages.join(', ')} (go build in tools/${step.module})`);
      await run(
        'go',
        ['build', '-trimpath', '-buildvcs=false', '-mod=readonly', `-ldflags=-s -w ${step.ldflags.join(' ')}`, '-o', staging + '/', ...step.packages],
        join(TOOLS, step.module),
        log,
      );
      log(`real-cluster: built tools/${step.module} in ${Math.round((Date.now() - t) / 1000)} s`);
    }
    // go names the binary of go.etcd.io/etcd/server/v3 after the element before the major version.
    renameSync(join(staging, 'server'), join(staging, 'etcd'));
    for (const binary of Object.values(binaries(staging)).slice(1)) {
      if (!existsSync(binary)) throw new Error(`the build produced no ${binary}`);
    }
    writeFileSync(join(staging, 'COMPLETE'), `built in ${Math.round((Date.now() - started) / 1000)} s\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    log(`real-cluster: control plane built in ${Math.round((Date.now() - started) / 1000)} s into ${dir}`);
    return binaries(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockIsStale(lock: string): boolean {
  try {
    if (!existsSync(join(lock, 'pid'))) return Date.now() - statSync(lock).mtimeMs > 10_000;
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureBinaries((line) => console.error(line)).then(
    (b) => console.log(b.dir),
    (error: Error) => {
      console.error(`real-cluster build: ${error.message}`);
      process.exit(1);
    },
  );
}

// The release of `npm run package`: every archive unpacked into an empty folder and run through the real
// kubectl (the standalone one with no node on PATH), plugin.yaml against krew's rules and the archives,
// reproducibility (a second build, in parallel), the bundle against the unbundled CLI, and completion
// through kubectl_complete-inject against the test cluster.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from '../cluster/fixtures.js';
import { startTestCluster, type TestCluster } from '../cluster/server.js';
import { krewManifestProblems, parseKrewManifest } from './krew-manifest.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PJSON = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const VERSION = PJSON.version;
const ARCHIVE_FILES = ['LICENSE', 'THIRD_PARTY_LICENSES', 'kubectl-inject', 'kubectl_complete-inject'];
const BUNDLE_ARCHIVES = ['linux_amd64', 'linux_arm64', 'darwin_amd64', 'darwin_arm64'].map((p) => `kubectl-inject_${VERSION}_${p}.tar.gz`);
const STANDALONE_ARCHIVE = `kubectl-inject_${VERSION}_linux_amd64_standalone.tar.gz`;
const ALL_ARCHIVES = [...BUNDLE_ARCHIVES, STANDALONE_ARCHIVE].sort();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeout ?? 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `npm run package` into `out`, leaving ./plugin.yaml alone. */
async function npmPackage(out: string): Promise<void> {
  const r = await run('npm', ['run', '--silent', 'package', '--', '--out', out, '--manifest', '-'], { timeout: 110_000 });
  if (r.code !== 0) throw new Error(`npm run package failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
const KUBECTL = which('kubectl');
const supported = process.platform === 'linux' && process.arch === 'x64';

let tmp: string;
let release: string;
let secondBuild: Promise<string>;
/** A folder holding only kubectl (a link to the real one): PATH without node. */
let kubectlOnly: string;
const unpacked = new Map<string, string>();

function unpack(archive: string): string {
  const dir = join(tmp, 'unpacked', archive.replace(/\.tar\.gz$/, ''));
  mkdirSync(dir, { recursive: true });
  expect(readdirSync(dir)).toEqual([]);
  const r = spawnSync('tar', ['-xzf', join(release, archive), '-C', dir], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return dir;
}

/** Environment of a user with the archive's folder on PATH; node on PATH only if asked. */
function userEnv(dir: string, withNode: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = [dir, kubectlOnly, ...(withNode ? [dirname(process.execPath)] : [])].join(delimiter);
  return { PATH: path, HOME: join(tmp, 'home'), NO_COLOR: '1', ...extra };
}

function unbundled(args: string[]): Promise<Result> {
  return run(process.execPath, [join(REPO, 'bin/kubectl-inject'), ...args], { env: { ...process.env, NO_COLOR: '1' } });
}

beforeAll(async () => {
  if (!supported) return;
  tmp = mkdtempSync(join(tmpdir(), 'kubectl-inject-release-'));
  mkdirSync(join(tmp, 'home'));
  release = join(tmp, 'release-1');
  // Both builds start now; the second one is compared in the reproducibility test.
  secondBuild = npmPackage(join(tmp, 'release-2')).then(() => join(tmp, 'release-2'));
  secondBuild.catch(() => undefined);
  await npmPackage(release);
  kubectlOnly = join(tmp, 'kubectl-only');
  mkdirSync(kubectlOnly);
  if (KUBECTL) symlinkSync(realpathSync(KUBECTL), join(kubectlOnly, 'kubectl'));
  for (const a of ALL_ARCHIVES) unpacked.set(a, unpack(a));
}, 120_000);

afterAll(async () => {
  if (!tmp) return;
  await secondBuild?.catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!supported)('npm run package', () => {
  it('writes the archives, checksums.txt (sha256) and plugin.yaml into the output folder', () => {
    expect(readdirSync(release).sort()).toEqual([...ALL_ARCHIVES, 'checksums.txt', 'plugin.yaml'].sort());
    const lines = readFileSync(join(release, 'checksums.txt'), 'utf8').trimEnd().split('\n');
    expect(lines).toEqual(ALL_ARCHIVES.map((a) => `${sha256(join(release, a))}  ${a}`));
  });

  it.each(ALL_ARCHIVES)('%s holds the executables, LICENSE and third-party licenses; owner 0, fixed time', (archive) => {
    const listing = spawnSync('tar', ['--numeric-owner', '-tvzf', join(release, archive)], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(listing.map((l) => l.split(/\s+/).at(-1))).toEqual(ARCHIVE_FILES);
    for (const line of listing) {
      const [mode, owner] = line.split(/\s+/);
      expect(owner).toBe('0/0');
      expect(mode).toBe(line.endsWith('inject') ? '-rwxr-xr-x' : '-rw-r--r--');
    }
    const dir = unpacked.get(archive)!;
    expect(readFileSync(join(dir, 'LICENSE'))).toEqual(readFileSync(join(REPO, 'LICENSE')));
    expect(readFileSync(join(dir, 'THIRD_PARTY_LICENSES'), 'utf8')).toMatch(/@oclif\/core [\d.]+ \(MIT\)/);
    const times = new Set(ARCHIVE_FILES.map((f) => statSync(join(dir, f)).mtimeMs));
    expect(times.size).toBe(1);
  });

  it('the four bundle archives carry the same single JavaScript file, every dependency inside', () => {
    const shas = new Set(BUNDLE_ARCHIVES.map((a) => sha256(join(release, a))));
    expect(shas.size).toBe(1);
    const code = readFileSync(join(unpacked.get(BUNDLE_ARCHIVES[0])!, 'kubectl-inject'), 'utf8');
    expect(code.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Only Node's built-in modules are required at run time.
    const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    const builtins = new Set(spawnSync(process.execPath, ['-p', 'require("module").builtinModules.join("\\n")'], { encoding: 'utf8' }).stdout.trim().split('\n'));
    expect([...required].filter((r) => !builtins.has(r.replace(/^node:/, '')))).toEqual([]);
  });
});

describe.skipIf(!supported || !KUBECTL)('archives through the real kubectl', () => {
  let demoStatus: string;
  /** The demo's cluster-level findings (its ztunnel is not ready) are warnings on stderr. */
  let demoWarnings: string;
  beforeAll(async () => {
    const r = await unbundled(['status', '--demo']);
    expect(r.code).toBe(0);
    demoStatus = r.stdout;
    demoWarnings = r.stderr;
    expect(demoWarnings).toMatch(/^warning: NoZtunnel: .*\n$/);
  });

  it.each(BUNDLE_ARCHIVES)('%s: kubectl inject --version and status --demo, on the user\'s node', async (archive) => {
    const env = userEnv(unpacked.get(archive)!, true);
    const version = await run('kubectl', ['inject', '--version'], { env });
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout).toMatch(new RegExp(`^kubectl-inject/${VERSION.replace(/\./g, '\\.')} linux-x64 node-v`));
    const status = await run('kubectl', ['inject', 'status', '--demo'], { env });
    expect(status).toMatchObject({ code: 0, stderr: demoWarnings });
    expect(status.stdout).toBe(demoStatus);
  });

  it('the standalone executable does the same with no node on PATH', async () => {
    const dir = unpacked.get(STANDALONE_ARCHIVE)!;
    const env = userEnv(dir, false);
    const lookup = (cmd: string) => spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { env }).status;
    expect(lookup('kubectl')).toBe(0);
    expect(lookup('node')).not.toBe(0);
    const version = await run('kubectl', ['inject', '--version'], { env });
    expect(version).toMatchObject({ code: 0, stderr: '' });
    expect(version.stdout).toBe(`kubectl-inject/${VERSION} linux-x64 node-${process.version}\n`);
    const status = await run('kubectl', ['inject', 'status', '--demo'], { env });
    expect(status).toMatchObject({ code: 0, stderr: demoWarnings });
    expect(status.stdout).toBe(demoStatus);
    // Exit codes pass through kubectl: 3 with --exit-code on the demo's drift, 2 for bad usage.
    expect((await run('kubectl', ['inject', 'status', '--demo', '--exit-code'], { env })).code).toBe(3);
    expect((await run('kubectl', ['inject', 'status', '--no-such-flag'], { env })).code).toBe(2);
  });
});

describe.skipIf(!supported)('the bundle behaves as the unbundled CLI', () => {
  const cases = [
    ['status', '--demo'],
    ['status', '--demo', '-o', 'json'],
    ['status', '--demo', '-n', 'shop', '-o', 'wide'],
    ['explain', 'deployment/frontend', '-n', 'shop', '--demo'],
    ['--help'],
    ['status', '--help'],
    ['--version'],
    ['status', '--demo', '--exit-code'],
    ['status', '--snapshot', '/nonexistent/snapshot.yaml'],
    ['nosuchcommand'],
    ['completion', 'bash'],
  ];
  it.each(cases.map((args) => [args.join(' '), args] as const))('kubectl-inject %s', async (_name, args) => {
    const bundle = join(unpacked.get(BUNDLE_ARCHIVES[0])!, 'kubectl-inject');
    const [a, b] = await Promise.all([run(bundle, [...args], { env: { ...process.env, NO_COLOR: '1' } }), unbundled([...args])]);
    expect(a).toEqual(b);
  });
});

describe.skipIf(!supported)('plugin.yaml', () => {
  it('passes krew\'s manifest rules', () => {
    expect(krewManifestProblems(readFileSync(join(release, 'plugin.yaml'), 'utf8'), 'inject')).toEqual([]);
  });

  it('names this version and, for each platform, an archive of this build with its sha256', () => {
    const m = parseKrewManifest(readFileSync(join(release, 'plugin.yaml'), 'utf8'));
    expect(m.spec?.version).toBe(`v${VERSION}`);
    const platforms = m.spec!.platforms!;
    expect(platforms.map((p) => `${p.selector?.matchLabels?.os}/${p.selector?.matchLabels?.arch}`).sort()).toEqual(['darwin/amd64', 'darwin/arm64', 'linux/amd64', 'linux/arm64']);
    for (const p of platforms) {
      const file = p.uri!.split('/').at(-1)!;
      expect(p.uri).toMatch(new RegExp(`^https://github\\.com/[\\w.-]+/[\\w.-]+/releases/download/v${VERSION.replace(/\./g, '\\.')}/${file}$`));
      expect(p.sha256).toBe(sha256(join(release, file)));
      expect(file).toContain(`_${p.selector?.matchLabels?.os}_${p.selector?.matchLabels?.arch}`);
      expect(p.bin).toBe('kubectl-inject');
      expect(p.files?.map((f) => f.from)).toContain('LICENSE');
      expect(p.files?.every((f) => f.to === '.' && ARCHIVE_FILES.includes(f.from!))).toBe(true);
    }
    // krew installs the standalone executable on linux/amd64; elsewhere the bundle needs node.
    expect(platforms.find((p) => p.selector?.matchLabels?.arch === 'amd64' && p.selector.matchLabels.os === 'linux')?.uri).toContain('_standalone.tar.gz');
    expect(m.spec?.caveats).toMatch(/linux\/arm64, darwin\/amd64 and darwin\/arm64 this plugin runs on Node\.js:\s+it needs `node` >=20\.19/);
    expect(m.spec?.shortDescription?.split(' ').length).toBeLessThanOrEqual(8);
  });

  // Meaningful for a build of committed sources only (a clean clone, CI): uncommitted changes to what goes
  // into the archives make a different build by design.
  const inputs = ['src', 'demo', 'scripts/package', 'package.json', 'package-lock.json', 'LICENSE'];
  const git = spawnSync('git', ['status', '--porcelain', '--', ...inputs], { cwd: REPO, encoding: 'utf8' });
  const committedSources = git.status === 0 && git.stdout.trim() === '';
  it.skipIf(!committedSources)('the committed plugin.yaml is this build\'s (if not: npm run package, commit plugin.yaml)', () => {
    const committed = readFileSync(join(REPO, 'plugin.yaml'), 'utf8');
    let rebuilt = readFileSync(join(release, 'plugin.yaml'), 'utf8');
    // The standalone executable is this machine's node: another node version gives another sha256.
    const madeWith = /contains Node\.js (v[\d.]+)\./.exec(committed)?.[1];
    if (madeWith && madeWith !== process.version) {
      const standaloneSha = (text: string) => /_standalone\.tar\.gz\n\s+sha256: ([a-f0-9]{64})/.exec(text)?.[1] ?? '';
      rebuilt = rebuilt.replace(standaloneSha(rebuilt), standaloneSha(committed)).replaceAll(process.version, madeWith);
    }
    expect(committed).toBe(rebuilt);
  });
});

describe.skipIf(!supported)('reproducible builds', () => {
  it('a second npm run package gives byte-identical archives, checksums and plugin.yaml', async () => {
    const second = await secondBuild;
    const files = readdirSync(release).sort();
    expect(readdirSync(second).sort()).toEqual(files);
    for (const f of files) expect(sha256(join(second, f)), f).toBe(sha256(join(release, f)));
  }, 120_000);
});

describe.skipIf(!supported || !KUBECTL)('completion through kubectl_complete-inject against the test cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ objects: smallCluster() });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const complete = async (archive: string, words: string[]) => {
    const withNode = archive !== STANDALONE_ARCHIVE;
    const r = await run('kubectl', ['__complete', 'inject', ...words], { env: userEnv(unpacked.get(archive)!, withNode, { KUBECONFIG: cluster.kubeconfigPath }) });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    return { values: lines.slice(0, -1).map((l) => l.split('\t')[0]), directive: lines.at(-1) };
  };

  it.each([BUNDLE_ARCHIVES[0], STANDALONE_ARCHIVE])('%s: commands, flags, namespaces and pods', async (archive) => {
    expect(await complete(archive, ['st'])).toEqual({ values: ['status'], directive: ':4' });
    expect((await complete(archive, ['status', '--dr'])).values).toEqual(['--drift-only']);
    expect(await complete(archive, ['status', '-o', ''])).toEqual({ values: ['table', 'wide', 'json', 'yaml'], directive: ':4' });
    const namespaces = await complete(archive, ['status', '-n', '']);
    expect(namespaces.directive).toBe(':4');
    expect(namespaces.values).toEqual(expect.arrayContaining(['demo', 'other']));
    expect(await complete(archive, ['status', '-n', 'ot'])).toEqual({ values: ['other'], directive: ':4' });
    expect(await complete(archive, ['explain', '-n', 'demo', 'pod/'])).toEqual({ values: ['pod/db-1', 'pod/web-1', 'pod/web-2'], directive: ':4' });
    expect(await complete(archive, ['explain', '-n', 'demo', 'pod/w'])).toEqual({ values: ['pod/web-1', 'pod/web-2'], directive: ':4' });
    expect(await complete(archive, ['explain', '--namespace=other', 'deployment/'])).toEqual({ values: [], directive: ':4' });
    expect(await complete(archive, ['explain', '--namespace', 'demo', 'deploy/'])).toEqual({ values: ['deploy/web'], directive: ':4' });
  });

  it('an unreachable cluster gives no candidates and no noise', async () => {
    const kubeconfig = join(tmp, 'unreachable.yaml');
    writeFileSync(kubeconfig, cluster.kubeconfig().replace(/server: \S+/, 'server: http://127.0.0.1:9'));
    const env = userEnv(unpacked.get(BUNDLE_ARCHIVES[0])!, true, { KUBECONFIG: kubeconfig });
    const r = await run(join(unpacked.get(BUNDLE_ARCHIVES[0])!, 'kubectl_complete-inject'), ['status', '-n', ''], { env });
    expect(r).toEqual({ code: 0, stdout: ':4\n', stderr: '' });
  });
});

describe.skipIf(!supported)('kubectl-inject completion bash', () => {
  it('completes the plugin under its own name', async () => {
    const dir = unpacked.get(BUNDLE_ARCHIVES[0])!;
    const script = `source <(kubectl-inject completion bash)
      COMP_WORDS=(kubectl-inject status --demo -n sh); COMP_CWORD=4; _kubectl_inject; echo "\${COMPREPLY[*]}"
      COMP_WORDS=(kubectl-inject ex); COMP_CWORD=1; _kubectl_inject; echo "\${COMPREPLY[*]}"
      COMP_WORDS=(kubectl-inject status --dem); COMP_CWORD=2; _kubectl_inject; echo "\${COMPREPLY[*]}"
      COMP_WORDS=(kubectl-inject status -h); COMP_CWORD=2; _kubectl_inject; echo "[\${COMPREPLY[*]}]"`;
    // -h completes to nothing rather than printing help.
    const r = await run('/bin/bash', ['-c', script], { env: userEnv(dir, true) });
    expect(r).toEqual({ code: 0, stdout: 'shop\nexplain\n--demo\n[]\n', stderr: '' });
  });
});

// `npm run package`: the release of kubectl-inject, in dist/release/.
//   kubectl-inject_<version>_<os>_<arch>.tar.gz         the single-file bundle (runs on node >= 20.19),
//                                                      linux and darwin, amd64 and arm64
//   kubectl-inject_<version>_linux_amd64_standalone.tar.gz  a Node single executable: no node needed
//   checksums.txt                                      sha256 of the archives (sha256sum -c checksums.txt)
//   plugin.yaml                                        the krew manifest, also written to ./plugin.yaml
// Each archive holds kubectl-inject, kubectl_complete-inject, LICENSE and THIRD_PARTY_LICENSES.
// Reproducible: the same commit (and, for the standalone executable, the same node) gives the same bytes;
// file times are SOURCE_DATE_EPOCH, else a fixed date.
//
// Options: --out DIR (default dist/release), --manifest FILE (default ./plugin.yaml; "-" for none),
//          --check (write nothing outside --out; fail if ./plugin.yaml differs from this build's).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.js';
import { thirdPartyLicenses } from './licenses.js';
import { krewManifest, type PlatformArchive } from './manifest.js';
import { buildStandalone, STANDALONE_PLATFORM } from './sea.js';
import { tarGz, type TarFile } from './tar.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** 2024-01-01T00:00:00Z: archive entry times when SOURCE_DATE_EPOCH is not set. */
const DEFAULT_EPOCH = 1704067200;
/** Used when package.json names no GitHub repository. */
const DEFAULT_REPO = 'https://github.com/kubectl-inject/kubectl-inject';
const BUNDLE_PLATFORMS = [
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm64' },
  { os: 'darwin', arch: 'amd64' },
  { os: 'darwin', arch: 'arm64' },
] as const;
/** The archive files in krew's `files` order: `bin` first. */
export const ARCHIVE_FILES = ['kubectl-inject', 'kubectl_complete-inject', 'LICENSE', 'THIRD_PARTY_LICENSES'];

export interface ReleaseArchive {
  file: string;
  os: 'linux' | 'darwin';
  arch: 'amd64' | 'arm64';
  standalone: boolean;
  sha256: string;
  size: number;
}

export interface Release {
  version: string;
  outDir: string;
  archives: ReleaseArchive[];
  manifest: string;
  notes: string[];
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** https://github.com/OWNER/NAME from package.json `repository` (string or {url}), else the default. */
export function repositoryUrl(pjson: { repository?: string | { url?: string } }): string {
  const raw = typeof pjson.repository === 'string' ? pjson.repository : pjson.repository?.url;
  if (!raw) return DEFAULT_REPO;
  const m = /^(?:github:|git\+https:\/\/github\.com\/|https:\/\/github\.com\/|git@github\.com:|git:\/\/github\.com\/)?([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/.exec(raw);
  if (!m) throw new Error(`package.json repository "${raw}" is not a GitHub repository`);
  return `https://github.com/${m[1]}`;
}

function sourceDateEpoch(): number {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === '') return DEFAULT_EPOCH;
  if (!/^\d+$/.test(env)) throw new Error(`SOURCE_DATE_EPOCH must be a number of seconds, not "${env}"`);
  return Number(env);
}

export async function buildRelease(opts: { outDir: string }): Promise<Release> {
  const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines?: { node?: string }; repository?: string };
  const version = pjson.version;
  const mtime = sourceDateEpoch();
  const outDir = resolve(opts.outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const built = await bundle(ROOT);
  for (const w of built.warnings) process.stderr.write(`esbuild: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}\n`);
  const common = (main: Buffer | string, withNode: boolean): TarFile[] => [
    { name: 'kubectl-inject', data: main, executable: true },
    { name: 'kubectl_complete-inject', data: readFileSync(join(ROOT, 'scripts/package/kubectl_complete-inject')), executable: true },
    { name: 'LICENSE', data: readFileSync(join(ROOT, 'LICENSE')) },
    { name: 'THIRD_PARTY_LICENSES', data: thirdPartyLicenses(ROOT, built.packages, withNode) },
  ];

  const archives: ReleaseArchive[] = [];
  const write = (file: string, data: Buffer, p: { os: 'linux' | 'darwin'; arch: 'amd64' | 'arm64' }, standalone: boolean) => {
    writeFileSync(join(outDir, file), data);
    archives.push({ file, ...p, standalone, sha256: sha256(data), size: data.length });
  };

  const work = mkdtempSync(join(tmpdir(), 'kubectl-inject-release-'));
  try {
    smokeTest(built.code, work, version);
    const bundleArchive = tarGz(common(built.code, false), mtime);
    for (const p of BUNDLE_PLATFORMS) write(`kubectl-inject_${version}_${p.os}_${p.arch}.tar.gz`, bundleArchive, p, false);

    const exe = buildStandalone(built.code, work, version);
    const { os, arch } = STANDALONE_PLATFORM;
    // gzip -6: -9 takes three times as long for 0.4% less on a 100 MB executable.
    write(`kubectl-inject_${version}_${os}_${arch}_standalone.tar.gz`, tarGz(common(exe, true), mtime, 6), { os, arch }, true);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  archives.sort((a, b) => (a.file < b.file ? -1 : 1));
  writeFileSync(join(outDir, 'checksums.txt'), archives.map((a) => `${a.sha256}  ${a.file}\n`).join(''));

  // krew installs one archive per platform: the standalone executable where there is one.
  const platforms: PlatformArchive[] = BUNDLE_PLATFORMS.map((p) => {
    const chosen = archives.find((a) => a.os === p.os && a.arch === p.arch && a.standalone) ?? archives.find((a) => a.os === p.os && a.arch === p.arch)!;
    return { os: p.os, arch: p.arch, file: chosen.file, sha256: chosen.sha256, needsNode: !chosen.standalone };
  });
  const manifest = krewManifest({
    version,
    repoUrl: repositoryUrl(pjson),
    nodeRequirement: pjson.engines?.node ?? '>=20.19',
    platforms,
    files: ARCHIVE_FILES,
    standaloneNode: process.version,
  });
  writeFileSync(join(outDir, 'plugin.yaml'), manifest);
  return { version, outDir, archives, manifest, notes: built.notes };
}

/** The bundle starts, knows its version and reads its embedded demo, away from the project's files. */
function smokeTest(code: string, workDir: string, version: string): void {
  const file = join(workDir, 'kubectl-inject');
  writeFileSync(file, code, { mode: 0o755 });
  for (const args of [['--version'], ['status', '--demo', '-o', 'json']]) {
    const r = spawnSync(process.execPath, [file, ...args], { cwd: workDir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    if (r.status !== 0 || r.stderr || (args[0] === '--version' && !r.stdout.startsWith(`kubectl-inject/${version} `))) {
      throw new Error(`the bundle failed \`kubectl-inject ${args.join(' ')}\` (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    }
  }
  rmSync(file);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'dist/release') },
      manifest: { type: 'string', default: join(ROOT, 'plugin.yaml') },
      check: { type: 'boolean', default: false },
    },
  });
  const started = Date.now();
  const release = await buildRelease({ outDir: values.out! });
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  for (const a of release.archives) process.stdout.write(`${a.sha256}  ${(a.size / 1e6).toFixed(1).padStart(6)} MB  ${a.file}\n`);
  for (const n of release.notes) process.stdout.write(`note: ${n}\n`);
  if (values.check) {
    const manifestFile = join(ROOT, 'plugin.yaml');
    let committed = '';
    try {
      committed = readFileSync(manifestFile, 'utf8');
    } catch {
      // Reported below as a difference.
    }
    if (committed !== release.manifest) {
      process.stderr.write(`error: ${rel(manifestFile)} differs from this build's (${rel(join(release.outDir, 'plugin.yaml'))}): run npm run package and commit plugin.yaml\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${rel(manifestFile)} matches this build\n`);
  } else if (values.manifest !== '-') {
    writeFileSync(resolve(values.manifest!), release.manifest);
    process.stdout.write(`wrote ${rel(resolve(values.manifest!))}\n`);
  }
  process.stdout.write(`release ${release.version} in ${rel(release.outDir)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}

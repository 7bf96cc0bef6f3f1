// The standalone executable: a Node single executable application (SEA) made from the machine's own
// `node` and the CommonJS bundle. Without a code cache, so that the same bundle and node give the same bytes.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The sentinel Node's binary carries to say a SEA blob is present (see Node's single-executable docs). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export const STANDALONE_PLATFORM = { os: 'linux', arch: 'amd64', node: { platform: 'linux', arch: 'x64' } } as const;

function run(file: string, args: string[], what: string, cwd?: string): string {
  const r = spawnSync(file, args, { encoding: 'utf8', cwd });
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Builds the standalone executable in `workDir` from the bundle's code; returns its bytes. */
export function buildStandalone(bundleCode: string, workDir: string, expectedVersion: string): Buffer {
  const { platform, arch } = STANDALONE_PLATFORM.node;
  if (process.platform !== platform || process.arch !== arch) {
    throw new Error(`the standalone ${platform}-${arch} executable is made from this machine's node, which is ${process.platform}-${process.arch}: build on ${platform}-${arch}`);
  }
  // Relative names, run in workDir: the blob records the main script's path as given.
  const main = 'kubectl-inject.cjs';
  const blob = join(workDir, 'sea-prep.blob');
  const exe = join(workDir, 'kubectl-inject');
  // The SEA runs the script as a CommonJS module body, where a #! line is not allowed.
  writeFileSync(join(workDir, main), bundleCode.replace(/^#![^\n]*\n/, ''));
  const config = { main, output: 'sea-prep.blob', disableExperimentalSEAWarning: true, useCodeCache: false, useSnapshot: false };
  writeFileSync(join(workDir, 'sea-config.json'), JSON.stringify(config));
  run(process.execPath, ['--experimental-sea-config', 'sea-config.json'], 'node --experimental-sea-config', workDir);
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // postject's CLI in a child process: it reports harmless ELF notes on stderr, shown only if it fails.
  const postject = join(dirname(createRequire(import.meta.url).resolve('postject')), 'cli.js');
  run(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], 'postject');
  const version = run(exe, ['--version'], 'the standalone executable').trim();
  if (!version.startsWith(`kubectl-inject/${expectedVersion} `)) throw new Error(`the standalone executable printed "${version}" for --version`);
  return readFileSync(exe);
}

// `npm run test-cluster` as a process: loads a snapshot, writes the kubeconfig, stops on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const DEMO = fileURLToPath(new URL('../../demo', import.meta.url));

interface Running {
  stderr: () => string;
  exited: Promise<number | null>;
  stop: () => void;
}

function startCli(args: string[]): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { stderr: () => stderr, exited, stop: () => child.kill('SIGTERM') };
}

describe('test-cluster CLI', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('serves a snapshot until SIGTERM and writes the kubeconfig once listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'test-cluster-cli-'));
    dirs.push(dir);
    const snapshot = join(dir, 'snapshot.yaml');
    writeFileSync(snapshot, yaml.dump({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } }] }));
    const kubeconfig = join(dir, 'kubeconfig');

    const cli = startCli(['--snapshot', snapshot, '--kubeconfig-out', kubeconfig]);
    await expect.poll(() => cli.stderr(), { timeout: 15_000 }).toContain(`kubeconfig: ${kubeconfig}`);
    expect(cli.stderr()).toMatch(/serving 1 objects from .*snapshot\.yaml at http:\/\/127\.0\.0\.1:\d+/);
    const server = (yaml.load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]?.cluster.server;
    const namespaces = (await (await fetch(`${server}/api/v1/namespaces`)).json()) as { items: { metadata: { name: string } }[] };
    expect(namespaces.items.map((n) => n.metadata.name)).toEqual(['demo']);

    cli.stop();
    expect(await cli.exited).toBe(0);
  });

  it('--latency delays every request by that much', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'test-cluster-cli-'));
    dirs.push(dir);
    const kubeconfig = join(dir, 'kubeconfig');
    const cli = startCli(['--demo', '--latency', '150', '--kubeconfig-out', kubeconfig]);
    await expect.poll(() => cli.stderr(), { timeout: 15_000 }).toContain(`kubeconfig: ${kubeconfig}`);
    expect(cli.stderr()).toContain('every request delayed by 150 ms');
    const server = (yaml.load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]?.cluster.server;
    for (const path of ['/version', '/api/v1/namespaces', '/api/v1/pods?limit=2']) {
      const started = performance.now();
      expect((await fetch(`${server}${path}`)).status).toBe(200);
      expect(performance.now() - started, path).toBeGreaterThanOrEqual(145);
    }
    cli.stop();
    expect(await cli.exited).toBe(0);
    await expect(startCli(['--demo', '--latency', '-1']).exited).resolves.toBe(2);
  });

  it('refuses bad arguments', async () => {
    const cli = startCli(['--demo', '--snapshot', 'x']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('--demo and --snapshot exclude each other');
  });

  it('refuses a malformed --synthetic', async () => {
    const cli = startCli(['--synthetic', '100000']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('--synthetic expects PODS:NAMESPACES, e.g. 100000:2000 (got "100000")');
    const both = startCli(['--demo', '--synthetic', '10:1']);
    expect(await both.exited).toBe(2);
    expect(both.stderr()).toContain('--demo and --synthetic exclude each other');
  });

  it.skipIf(!existsSync(DEMO))('serves a synthetic cluster with --synthetic PODS:NAMESPACES', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'test-cluster-cli-'));
    dirs.push(dir);
    const kubeconfig = join(dir, 'kubeconfig');
    const cli = startCli(['--synthetic', '300:6', '--kubeconfig-out', kubeconfig]);
    await expect.poll(() => cli.stderr(), { timeout: 15_000 }).toContain(`kubeconfig: ${kubeconfig}`);
    expect(cli.stderr()).toMatch(/serving a synthetic cluster of 300 pods in 6 namespaces \(.*\) at http:\/\/127\.0\.0\.1:\d+; seeded in [\d.]+ s, RSS \d+ MB/);
    const server = (yaml.load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] }).clusters[0]?.cluster.server;
    const pods = (await (await fetch(`${server}/api/v1/pods?limit=1000`)).json()) as { items: unknown[] };
    expect(pods.items).toHaveLength(300);
    cli.stop();
    expect(await cli.exited).toBe(0);
  });

  it.skipIf(!existsSync(DEMO))('serves the bundled demo with --demo', async () => {
    const cli = startCli(['--demo']);
    await expect.poll(() => cli.stderr(), { timeout: 15_000 }).toContain('kubeconfig: ');
    expect(cli.stderr()).toMatch(/serving [1-9]\d* objects from .*demo\/cluster\.yaml at http/);
    cli.stop();
    expect(await cli.exited).toBe(0);
  });

  it('two instances with --context NAME make a fleet through KUBECONFIG=a:b (status --all-contexts reads both)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'test-cluster-cli-'));
    dirs.push(dir);
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    const first = startCli(['--demo', '--context', 'demo', '--kubeconfig-out', a]);
    const second = startCli(['--snapshot', fileURLToPath(new URL('../../demo/east.yaml', import.meta.url)), '--context', 'east', '--kubeconfig-out', b]);
    try {
      await expect.poll(() => first.stderr() + second.stderr(), { timeout: 15_000 }).toMatch(/kubeconfig: [^\n]+\n[^]*kubeconfig: /);
      expect((yaml.load(readFileSync(b, 'utf8')) as { 'current-context': string })['current-context']).toBe('east');
      const r = await runCli(['status', '--all-contexts', '-o', 'json'], { env: { KUBECONFIG: `${a}:${b}` } });
      expect(r.code, r.stderr).toBe(0);
      const fleet = JSON.parse(r.stdout) as { clusters: { name: string; error: string | null; summary: { pods: number } }[] };
      const pods = async (args: string[]) => (JSON.parse((await runCli(['status', ...args, '-o', 'json'])).stdout) as { summary: { pods: number } }).summary.pods;
      expect(fleet.clusters.map((c) => [c.name, c.error, c.summary.pods])).toEqual([
        ['demo', null, await pods(['--demo'])],
        ['east', null, await pods(['--demo', '--context', 'east'])],
      ]);
    } finally {
      first.stop();
      second.stop();
    }
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
  });
});

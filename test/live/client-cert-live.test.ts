// The CLI against a cluster that authenticates clients by certificate (mutual TLS): the certificate and
// key embedded in the kubeconfig (client-certificate-data/client-key-data) or in files it names
// (client-certificate/client-key, absolute or relative to the kubeconfig's directory), and a certificate
// from a CA the cluster does not trust, which must fail in one line without printing key material.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../cli/run-cli.js';
import { generateClientCertificate, startTestCluster, type KubeconfigOptions, type TestCluster, type TestClientCertificate } from '../cluster/server.js';
import { demoObjects } from './live-cluster.js';

let cluster: TestCluster;
let dir: string;
let demoPods: number;
beforeAll(async () => {
  cluster = await startTestCluster({ objects: demoObjects(), tls: true, clientCertificates: true });
  dir = mkdtempSync(join(tmpdir(), 'kinject-client-cert-'));
  demoPods = JSON.parse((await runCli(['status', '--demo', '-o', 'json'])).stdout).summary.pods;
});
afterAll(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  cluster.clearRequests();
});

function kubeconfigFile(name: string, options: KubeconfigOptions): string {
  const path = join(dir, name);
  cluster.writeKubeconfig(path, options);
  return path;
}

const status = (kubeconfig: string, extra: string[] = []) => runCli(['status', '-A', '-o', 'json', '--kubeconfig', kubeconfig, ...extra]);

/** Pieces of the PEMs (and of their base64 as in *-data fields) that must never be printed. */
function secretFragments(pems: TestClientCertificate): string[] {
  const base64Lines = (pem: string) => pem.split('\n').filter((line) => line && !line.startsWith('-----'));
  return [
    '-----BEGIN',
    '-----END',
    'PRIVATE KEY',
    Buffer.from('-----BEGIN').toString('base64').slice(0, 12), // how a base64 *-data field starts
    ...base64Lines(pems.key),
    Buffer.from(pems.key).toString('base64').slice(0, 40),
    Buffer.from(pems.key).toString('base64').slice(-40),
  ];
}

function expectNoKeyMaterial(result: CliResult, ...pems: TestClientCertificate[]): void {
  const output = result.stdout + result.stderr;
  for (const fragment of pems.flatMap(secretFragments)) expect(output).not.toContain(fragment);
}

function expectSuccess(result: CliResult): void {
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report.summary.pods).toBe(demoPods);
  expect(report.source).toMatchObject({ type: 'live', partial: false });
  const resourceRequests = cluster.requests.filter((r) => r.resource !== undefined);
  expect(resourceRequests.length).toBeGreaterThan(0);
  expect(resourceRequests.every((r) => r.credential === 'client-certificate' && r.status === 200)).toBe(true);
}

describe('client-certificate authentication', () => {
  it('(a) works with client-certificate-data and client-key-data', async () => {
    const result = await status(kubeconfigFile('data', { auth: 'client-certificate' }));
    expectSuccess(result);
  });

  it('(b) works with client-certificate and client-key files, by absolute path', async () => {
    const result = await status(kubeconfigFile('absolute', { auth: 'client-certificate', clientCertificateFiles: 'absolute' }));
    expectSuccess(result);
  });

  it('(b) works with client-certificate and client-key files, by path relative to the kubeconfig', async () => {
    // runCli runs in the repository, so the bare file names resolve only against the kubeconfig's directory.
    const result = await status(kubeconfigFile('relative', { auth: 'client-certificate', clientCertificateFiles: 'relative' }));
    expectSuccess(result);
  });

  it('does not print key material when it works, even with --debug', async () => {
    const result = await status(kubeconfigFile('data-debug', { auth: 'client-certificate' }), ['--debug']);
    expect(result.code, result.stderr).toBe(0);
    expectNoKeyMaterial(result, cluster.clientCertificate!);
  });

  it('(c) a certificate from another CA is one clear line, and no key material appears, even with --debug', async () => {
    const foreign = generateClientCertificate();
    const kc = yaml.load(cluster.kubeconfig({ auth: 'client-certificate' })) as { users: { user: Record<string, string> }[] };
    kc.users[0]!.user = { 'client-certificate-data': Buffer.from(foreign.cert).toString('base64'), 'client-key-data': Buffer.from(foreign.key).toString('base64') };
    const path = join(dir, 'foreign');
    writeFileSync(path, yaml.dump(kc), { mode: 0o600 });

    const plain = await status(path);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr.trim()).toMatch(/^error: (Unauthorized|TLS)/);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expectNoKeyMaterial(plain, foreign, cluster.clientCertificate!);

    const debug = await status(path, ['--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n').find((line) => line.startsWith('error: '))).toMatch(/^error: (Unauthorized|TLS)/);
    expectNoKeyMaterial(debug, foreign, cluster.clientCertificate!);

    expect(cluster.requests.length).toBeGreaterThan(0);
    expect(cluster.requests.every((r) => r.credential === undefined)).toBe(true);
    expect(cluster.requests.some((r) => r.status === 401)).toBe(true);
  });
});

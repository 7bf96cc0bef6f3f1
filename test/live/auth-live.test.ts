import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import type { TestCluster } from '../cluster/server.js';
import { demoCluster } from './live-cluster.js';

const TOKEN = 'tok-5ecret-d0-not-print';
let cluster: TestCluster;
let dir: string;
beforeAll(async () => {
  cluster = await demoCluster({ tls: true, token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'kinject-auth-'));
});
afterAll(async () => {
  await cluster?.close();
});

type Kubeconfig = { clusters: { cluster: Record<string, unknown> }[]; users: { user: Record<string, unknown> }[] };
function variant(name: string, edit: (kc: Kubeconfig) => void): string {
  const kc = yaml.load(cluster.kubeconfig()) as Kubeconfig;
  edit(kc);
  const path = join(dir, name);
  writeFileSync(path, yaml.dump(kc));
  return path;
}

describe('authentication and TLS', () => {
  it('HTTPS with a CA and a bearer token works', async () => {
    const r = await runCli(['status', '-A', '-o', 'json', '--kubeconfig', cluster.kubeconfigPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).summary.pods).toBeGreaterThan(20);
  });

  it('an exec credential plugin works unchanged', async () => {
    const plugin = join(dir, 'credential-plugin.mjs');
    writeFileSync(
      plugin,
      `#!/usr/bin/env node\nprocess.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: ${JSON.stringify(TOKEN)} } }));\n`,
    );
    chmodSync(plugin, 0o755);
    const path = variant('exec', (kc) => {
      kc.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } };
    });
    const r = await runCli(['status', '-n', 'shop', '-o', 'json', '--kubeconfig', path]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).summary.pods).toBe(6);
  });

  it('a rejected token is one clear line, and credentials never appear, even with --debug', async () => {
    const path = variant('bad-token', (kc) => {
      kc.users[0]!.user = { token: 'wrong-s3cret-value' };
    });
    for (const extra of [[], ['--debug']]) {
      const r = await runCli(['status', '-A', '--kubeconfig', path, ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toMatch(/^error: Unauthorized: the API server rejected the credentials/);
      expect(r.stdout + r.stderr).not.toContain('wrong-s3cret-value');
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
    }
    const good = await runCli(['status', '-A', '--kubeconfig', cluster.kubeconfigPath, '--debug']);
    expect(good.stdout + good.stderr).not.toContain(TOKEN);
  });

  it('a server certificate that does not verify is a one-line TLS error', async () => {
    const path = variant('no-ca', (kc) => {
      delete kc.clusters[0]!.cluster['certificate-authority-data'];
    });
    const r = await runCli(['status', '-A', '--kubeconfig', path]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: TLS error talking to https:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed)/i);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('insecure-skip-tls-verify is honoured', async () => {
    const path = variant('insecure', (kc) => {
      delete kc.clusters[0]!.cluster['certificate-authority-data'];
      kc.clusters[0]!.cluster['insecure-skip-tls-verify'] = true;
    });
    const r = await runCli(['status', '-n', 'shop', '--kubeconfig', path]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a request timeout is one clear line', async () => {
    const handle = cluster.faults.add({ resource: 'namespaces', latencyMs: 3000, times: 1 });
    const r = await runCli(['status', '-A', '--kubeconfig', cluster.kubeconfigPath, '--request-timeout', '300ms']);
    handle.remove();
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error: request to the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ timed out after 0\.3s \(GET \/api\/v1\/namespaces\); see --request-timeout$/);
  });
});

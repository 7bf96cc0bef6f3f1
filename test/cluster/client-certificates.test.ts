// Client-certificate (mutual TLS) authentication: the real kubectl with client-certificate-data and with
// certificate files (absolute and relative paths), 401 without credentials or with a certificate from
// another CA, and the same checks at the HTTP level.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from './fixtures.js';
import { kubectl, kubectlAvailable } from './kubectl.js';
import { json, rawRequest } from './raw-request.js';
import { generateClientCertificate, startTestCluster, type KubeconfigOptions, type TestCluster } from './server.js';

if (!kubectlAvailable) console.warn('kubectl is not on PATH: skipping the kubectl client-certificate tests');

const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const PODS = ['demo/db-1', 'demo/web-1', 'demo/web-2', 'other/batch-1', 'other/batch-2'];

type User = Record<string, string>;
const userOf = (kubeconfig: string): User => (yaml.load(kubeconfig) as { users: { user: User }[] }).users[0]!.user;

let cluster: TestCluster;
let dir: string;
beforeAll(async () => {
  cluster = await startTestCluster({ tls: true, clientCertificates: true, objects: smallCluster() });
  dir = mkdtempSync(join(tmpdir(), 'client-certs-'));
});
afterAll(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeKubeconfig(name: string, options: KubeconfigOptions): string {
  const path = join(dir, name);
  cluster.writeKubeconfig(path, options);
  return path;
}

describe('client certificates', () => {
  it('are signed by a client CA, CN kubectl-inject-test, O system:masters, for client auth', () => {
    const pems = cluster.clientCertificate!;
    const cert = new X509Certificate(pems.cert);
    const ca = new X509Certificate(pems.caCert);
    expect(cert.subject.split('\n').sort()).toEqual(['CN=kubectl-inject-test', 'O=system:masters']);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.ca).toBe(false);
    expect(ca.ca).toBe(true);
    // Not the CA of the server certificate.
    expect(ca.fingerprint256).not.toBe(new X509Certificate(cluster.caCert!).fingerprint256);
  });

  it('go into the kubeconfig as data by default, as files on request', () => {
    const pems = cluster.clientCertificate!;
    expect(userOf(readFileSync(cluster.kubeconfigPath, 'utf8'))).toEqual({
      'client-certificate-data': Buffer.from(pems.cert).toString('base64'),
      'client-key-data': Buffer.from(pems.key).toString('base64'),
    });
    expect(userOf(cluster.kubeconfig({ auth: 'client-certificate' }))).toEqual(userOf(cluster.kubeconfig()));
    expect(userOf(cluster.kubeconfig({ auth: 'none' }))).toEqual({});

    const absolute = userOf(cluster.kubeconfig({ clientCertificateFiles: 'absolute' }));
    expect(isAbsolute(absolute['client-certificate']!)).toBe(true);
    expect(readFileSync(absolute['client-certificate']!, 'utf8')).toBe(pems.cert);
    expect(readFileSync(absolute['client-key']!, 'utf8')).toBe(pems.key);

    const relativePath = writeKubeconfig('relative-kc', { clientCertificateFiles: 'relative' });
    const relative = userOf(readFileSync(relativePath, 'utf8'));
    expect(relative).toEqual({ 'client-certificate': 'relative-kc.crt', 'client-key': 'relative-kc.key' });
    expect(readFileSync(join(dir, 'relative-kc.key'), 'utf8')).toBe(pems.key);

    expect(() => cluster.kubeconfig({ clientCertificateFiles: 'relative' })).toThrow(/writeKubeconfig/);
    expect(() => cluster.kubeconfig({ auth: 'token' })).toThrow(/without a token/);
  });

  it('authenticate HTTP requests; without one, or with one from another CA, it is 401', async () => {
    const pems = cluster.clientCertificate!;
    const good = await rawRequest(cluster, '/api/v1/namespaces', { clientCertificate: pems });
    expect(good.status).toBe(200);
    expect(cluster.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces', status: 200, credential: 'client-certificate' });

    const none = await rawRequest(cluster, '/api/v1/namespaces');
    expect(none.status).toBe(401);
    expect(json(none)).toEqual(UNAUTHORIZED);

    const foreign = await rawRequest(cluster, '/api/v1/namespaces', { clientCertificate: generateClientCertificate() });
    expect(foreign.status).toBe(401);
    expect(json(foreign)).toEqual(UNAUTHORIZED);

    // Public paths need no credentials, as before.
    expect((await rawRequest(cluster, '/version')).status).toBe(200);
  });

  it('need TLS', async () => {
    await expect(startTestCluster({ clientCertificates: true })).rejects.toThrow(/needs tls/);
  });
});

describe('client certificates together with a bearer token', () => {
  let both: TestCluster;
  beforeAll(async () => {
    both = await startTestCluster({ tls: true, clientCertificates: true, token: 'both-t0ken', objects: smallCluster() });
  });
  afterAll(async () => {
    await both?.close();
  });

  it('either credential is enough', async () => {
    expect(userOf(both.kubeconfig())).toEqual({ token: 'both-t0ken' });
    expect((await rawRequest(both, '/api/v1/pods')).status).toBe(200);
    expect(both.requests.at(-1)?.credential).toBe('token');
    expect((await rawRequest(both, '/api/v1/pods', { anonymous: true, clientCertificate: both.clientCertificate! })).status).toBe(200);
    expect(both.requests.at(-1)?.credential).toBe('client-certificate');
    // A wrong token does not spoil a good certificate (kube-apiserver's union of authenticators).
    const wrongToken = { anonymous: true, headers: { Authorization: 'Bearer wrong' }, clientCertificate: both.clientCertificate! };
    expect((await rawRequest(both, '/api/v1/pods', wrongToken)).status).toBe(200);
    expect((await rawRequest(both, '/api/v1/pods', { anonymous: true })).status).toBe(401);
    expect((await rawRequest(both, '/api/v1/pods', { anonymous: true, clientCertificate: generateClientCertificate() })).status).toBe(401);
  });
});

describe.skipIf(!kubectlAvailable)('kubectl with a client certificate', () => {
  const expectPods = (result: { code: number; stdout: string; stderr: string }) => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = result.stdout.trim().split('\n').map((line) => line.split(/\s+/));
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows.slice(1).map((r) => `${r[0]}/${r[1]}`)).toEqual(PODS);
  };

  it('gets pods in all namespaces with client-certificate-data', async () => {
    cluster.clearRequests();
    expectPods(await kubectl(cluster.kubeconfigPath, ['get', 'pods', '-A']));
    const list = cluster.requests.find((r) => r.resource === 'pods' && r.verb === 'list');
    expect(list).toMatchObject({ status: 200, credential: 'client-certificate' });
  });

  it('gets pods with client-certificate/client-key files, by absolute and by relative path', async () => {
    expectPods(await kubectl(writeKubeconfig('absolute-kc', { clientCertificateFiles: 'absolute' }), ['get', 'pods', '-A']));
    expectPods(await kubectl(writeKubeconfig('relative-kc', { clientCertificateFiles: 'relative' }), ['get', 'pods', '-A']));
  });

  // kubectl 1.32 words a 401 on discovery as "the server has asked for the client to provide credentials"
  // (also against a real API server); older versions said "(Unauthorized)".
  const LOGGED_OUT = /^error: You must be logged in to the server \((the server has asked for the client to provide credentials|Unauthorized)\)$/m;

  it('is told Unauthorized without a client certificate', async () => {
    // Over TLS, kubectl prompts for a username when the kubeconfig's user has no credentials at all
    // (and gives up at the end of its input), so this user has a token that the cluster does not know.
    const kc = yaml.load(cluster.kubeconfig({ auth: 'none' })) as { users: { user: User }[] };
    kc.users[0]!.user = { token: 'not-a-known-token' };
    const path = join(dir, 'no-cert-kc');
    writeFileSync(path, yaml.dump(kc));
    cluster.clearRequests();
    const result = await kubectl(path, ['get', 'pods', '-A']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(LOGGED_OUT);
    expect(cluster.requests.map((r) => r.status)).toContain(401);
    expect(cluster.requests.every((r) => r.credential === undefined)).toBe(true);
  });

  it('is told Unauthorized with a certificate from another CA', async () => {
    const foreign = generateClientCertificate();
    const kc = yaml.load(cluster.kubeconfig()) as { users: { user: User }[] };
    kc.users[0]!.user = { 'client-certificate-data': Buffer.from(foreign.cert).toString('base64'), 'client-key-data': Buffer.from(foreign.key).toString('base64') };
    const path = join(dir, 'foreign-kc');
    writeFileSync(path, yaml.dump(kc));
    cluster.clearRequests();
    const result = await kubectl(path, ['get', 'pods', '-A']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(LOGGED_OUT);
    expect(cluster.requests.map((r) => r.status)).toContain(401);
    expect(cluster.requests.every((r) => r.credential === undefined)).toBe(true);
  });
});

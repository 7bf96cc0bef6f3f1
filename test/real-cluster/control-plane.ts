// The real control plane on loopback: etcd, kube-apiserver (generated CA and serving certificate,
// RBAC authorization, static bearer tokens, service-account issuer, Metadata-level audit log),
// kube-controller-manager and kwok (the kubelet of fake nodes). Every process and the temp dir go
// away with stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTestCertificates, type TestCertificates } from '../cluster/certs.js';
import type { ControlPlaneBinaries } from './build.js';
import { KubeRest } from './rest.js';

const KWOK_STAGES = fileURLToPath(new URL('./kwok-stages.yaml', import.meta.url));

/** Users of the static token file. */
export const ADMIN_USER = 'kubectl-inject-admin';
const HARNESS_USER = 'real-cluster-harness';

export interface ControlPlane {
  dir: string;
  server: string;
  certificates: TestCertificates;
  /** Bearer token of ADMIN_USER (group system:masters): what the written kubeconfig carries. */
  adminToken: string;
  /** A client for the test harness itself (its own user, so the audit log tells its requests apart). */
  harness: KubeRest;
  auditLogPath: string;
  binaries: ControlPlaneBinaries;
  /** Starts kwok and kube-controller-manager (after the state is loaded, so that they see it whole). */
  startControllers(): Promise<void>;
  /** kubeconfig YAML for the server with a bearer token. */
  kubeconfig(token: string, user?: string): string;
  /** Audit events (JSON lines of the audit log). */
  auditEvents(): AuditEvent[];
  /** The last lines a component wrote (for error messages). */
  logTail(component: string, lines?: number): string;
  stop(): Promise<void>;
}

export interface AuditEvent {
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  userAgent?: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+), so that no outgoing connection
 * (etcd's clients, say) takes it between this check and the server binding it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

interface Component {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

export interface ControlPlaneOptions {
  /** Called with progress lines. */
  log?: (line: string) => void;
  /** Keep the temp dir (logs, audit log) after stop(). */
  keepDir?: boolean;
}

export async function startControlPlane(binaries: ControlPlaneBinaries, options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'kinject-real-cluster-'));
  const components: Component[] = [];
  let stopping = false;

  const startComponent = (name: string, command: string, args: string[]): Component => {
    const logPath = join(dir, `${name}.log`);
    const fd = openSync(logPath, 'a');
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', fd, fd], detached: false });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const component = { name, child, log: logPath, exited };
    void exited.then((code) => {
      if (!stopping) log(`real-cluster: ${name} exited (${code}); last lines:\n${tail(logPath, 20)}`);
    });
    components.push(component);
    return component;
  };

  const stop = async () => {
    stopping = true;
    // Reverse start order: controllers and kwok first, etcd last.
    for (const component of [...components].reverse()) {
      if (component.child.exitCode === null && component.child.signalCode === null) {
        component.child.kill('SIGTERM');
        const timer = setTimeout(() => component.child.kill('SIGKILL'), 10_000);
        await component.exited;
        clearTimeout(timer);
      }
    }
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const certificates = generateTestCertificates();
    writeFileSync(join(dir, 'ca.crt'), certificates.caCert);
    writeFileSync(join(dir, 'apiserver.crt'), certificates.cert);
    writeFileSync(join(dir, 'apiserver.key'), certificates.key, { mode: 0o600 });
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));

    const token = () => randomBytes(24).toString('hex');
    const adminToken = token();
    const harnessToken = token();
    const controllerToken = token();
    const kwokToken = token();
    // token,user,uid,"group1,group2"
    writeFileSync(
      join(dir, 'tokens.csv'),
      [
        `${adminToken},${ADMIN_USER},${ADMIN_USER},"system:masters"`,
        `${harnessToken},${HARNESS_USER},${HARNESS_USER},"system:masters"`,
        `${controllerToken},system:kube-controller-manager,system:kube-controller-manager`,
        `${kwokToken},kwok,kwok,"system:masters"`,
      ].join('\n') + '\n',
      { mode: 0o600 },
    );
    writeFileSync(
      join(dir, 'audit-policy.yaml'),
      ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: [RequestReceived]', 'rules:', '- level: Metadata', ''].join('\n'),
    );

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = (bearer: string, user = 'user') =>
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: real-cluster',
        '  cluster:',
        `    server: ${server}`,
        `    certificate-authority-data: ${Buffer.from(certificates.caCert).toString('base64')}`,
        'users:',
        `- name: ${user}`,
        '  user:',
        `    token: ${bearer}`,
        'contexts:',
        '- name: real-cluster',
        '  context:',
        '    cluster: real-cluster',
        `    user: ${user}`,
        'current-context: real-cluster',
        '',
      ].join('\n');
    writeFileSync(join(dir, 'controller-manager.kubeconfig'), kubeconfig(controllerToken, 'system:kube-controller-manager'), { mode: 0o600 });
    writeFileSync(join(dir, 'kwok.kubeconfig'), kubeconfig(kwokToken, 'kwok'), { mode: 0o600 });

    const t0 = Date.now();
    const etcd = startComponent('etcd', binaries.etcd, [
      '--name=real-cluster',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=real-cluster=http://127.0.0.1:${etcdPeer}`,
      '--listen-metrics-urls=',
      // A test cluster: durability is not wanted, speed is.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=1073741824',
      '--log-level=warn',
    ]);
    await waitFor(`etcd (http://127.0.0.1:${etcdClient}/health)`, etcd, async () => {
      const response = await fetch(`http://127.0.0.1:${etcdClient}/health`);
      return response.ok;
    });

    const apiserver = startComponent('kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(dir, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${join(dir, 'audit.log')}`,
      '--audit-log-mode=blocking',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      '--profiling=false',
      '--v=1',
    ]);
    const harness = new KubeRest(server, certificates.caCert, harnessToken);
    await waitFor(`kube-apiserver (${server}/readyz)`, apiserver, async () => (await harness.raw('GET', '/readyz')).status === 200, 120_000);
    log(`real-cluster: etcd and kube-apiserver ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const startControllers = async () => {
      const t = Date.now();
      startComponent('kwok', binaries.kwok, [
        `--kubeconfig=${join(dir, 'kwok.kubeconfig')}`,
        `--config=${KWOK_STAGES}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--node-lease-duration-seconds=40',
        '--cidr=10.244.0.0/16',
        '--node-ip=127.0.0.1',
    ]);

      const kcm = startComponent('kube-controller-manager', binaries.kubeControllerManager, [
        `--kubeconfig=${join(dir, 'controller-manager.kubeconfig')}`,
        `--authentication-kubeconfig=${join(dir, 'controller-manager.kubeconfig')}`,
        `--authorization-kubeconfig=${join(dir, 'controller-manager.kubeconfig')}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${await freePort()}`,
        `--cert-dir=${join(dir, 'controller-manager-certs')}`,
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${join(dir, 'sa.key')}`,
        `--root-ca-file=${join(dir, 'ca.crt')}`,
        // The node lifecycle controller stays: it lifts the not-ready taint the API server puts on new
        // nodes once kwok reports them Ready (kwok renews their leases). No cloud, no pod CIDRs.
        '--controllers=*,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller,-nodeipam',
        '--concurrent-deployment-syncs=5',
        '--v=1',
      ]);
      // Ready when its service-account controller has made the default ServiceAccount of kube-public.
      await waitFor('kube-controller-manager (service account controller)', kcm, async () => (await harness.raw('GET', '/api/v1/namespaces/kube-public/serviceaccounts/default')).status === 200, 120_000);
      log(`real-cluster: kube-controller-manager ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    };

    return {
      dir,
      server,
      certificates,
      adminToken,
      harness,
      auditLogPath: join(dir, 'audit.log'),
      binaries,
      startControllers,
      kubeconfig,
      auditEvents: () =>
        readFileSync(join(dir, 'audit.log'), 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as AuditEvent),
      logTail: (component: string, lines = 40) => tail(join(dir, `${component}.log`), lines),
      stop,
    };
  } catch (error) {
    const logs = components.map((c) => `--- ${c.name}:\n${tail(c.log, 15)}`).join('\n');
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function waitFor(what: string, component: Component, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (component.child.exitCode !== null) throw new Error(`${component.name} exited with ${component.child.exitCode} before ${what} was ready`);
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// The demo shows each fidelity rule (issue: gateways, re-injection, refusals, version-dependent values), and
// explain names the rule and the istiod version it applied.
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

interface PodReport {
  namespace: string;
  name: string;
  drift: string[];
  findings: { code: string; message: string }[];
  actual: { mode: string; manual?: boolean; image: string | null; expectedImage?: string | null };
  workload: { kind: string; name: string } | null;
}

const report = async () => JSON.parse((await runCli(['status', '--demo', '-o', 'json'])).stdout);
const byWorkload = (pods: PodReport[], ns: string, name: string) => pods.filter((p) => p.namespace === ns && p.workload?.name === name);

describe('status --demo: the fidelity cases', () => {
  it('injectors carry their istiod version and rules', async () => {
    const r = await report();
    expect(r.injectors.map((i: { revision: string; version: string; rules: string }) => [i.revision, i.version, i.rules])).toEqual([
      ['canary', '1.28.0', 'istiod 1.28.0 (1.27+ rules)'],
      ['stable', '1.26.2', 'istiod 1.26.2 (pre-1.27 rules)'],
    ]);
  });

  it('the ingress gateway and the waypoint are mode gateway, no drift, not manual', async () => {
    const pods: PodReport[] = (await report()).pods;
    const gateways = [...byWorkload(pods, 'istio-ingress', 'istio-ingressgateway'), ...byWorkload(pods, 'bookinfo', 'waypoint')];
    expect(gateways).toHaveLength(3);
    for (const p of gateways) {
      expect(p.actual.mode, p.name).toBe('gateway');
      expect(p.drift).toEqual([]);
      expect(p.findings.map((f) => f.code)).not.toContain('ManualSidecar');
    }
  });

  it('the kube-injected prometheus is re-injected: ProxyImageMismatch, not ManualSidecar; debugger (no webhook) stays manual', async () => {
    const pods: PodReport[] = (await report()).pods;
    const [prom] = byWorkload(pods, 'monitoring', 'prometheus');
    expect(prom!.drift).toEqual(['ProxyImageMismatch']);
    expect(prom!.actual).toMatchObject({ manual: false, image: 'docker.io/istio/proxyv2:1.25.3', expectedImage: 'docker.io/istio/proxyv2:1.26.2' });
    const [debuggerPod] = byWorkload(pods, 'tools', 'debugger');
    expect(debuggerPod!.findings.map((f) => f.code)).toEqual(['ManualSidecar']);
  });

  it('search: InjectionRejected (error) naming the template, no drift', async () => {
    const pods: PodReport[] = (await report()).pods;
    const [search] = byWorkload(pods, 'shop', 'search');
    expect(search!.drift).toEqual([]);
    const f = search!.findings.find((x) => x.code === 'InjectionRejected')!;
    expect(f.message).toContain('requested template "debug-tools" not found');
    expect(f.message).toContain('istiod 1.28.0');
  });

  it('reports: sidecar.istio.io/inject "no" on istiod 1.26 opts out, with the 1.27 upgrade warning', async () => {
    const pods: PodReport[] = (await report()).pods;
    const [exporter] = byWorkload(pods, 'reports', 'exporter');
    expect(exporter!.drift).toEqual([]);
    expect(exporter!.findings.find((x) => x.code === 'InvalidInjectValue')!.message).toMatch(/1\.26\.2.*explicit opt-out; upgrading istiod to 1\.27 or later changes this/);
  });

  it('--exit-code: InjectionRejected is an error finding (exit 3)', async () => {
    expect((await runCli(['status', '--demo', '-n', 'shop', '-l', 'app=search', '--exit-code'])).code).toBe(3);
  });

  it('the table shows gateway pods as gateway', async () => {
    const r = await runCli(['status', '--demo', '-n', 'istio-ingress']);
    expect(r.stdout).toMatch(/istio-ingressgateway-\S+\s+Deployment\/istio-ingressgateway\s+skip\s+gateway \(stable\)\s+-\s+-/);
  });
});

describe('explain names the rule and the istiod version', () => {
  it.each<[string, string, RegExp[]]>([
    ['deployment/search', 'shop', [/version: 1\.28\.0 \(values global\.tag of istio-system\/istio-sidecar-injector-canary\); rules: istiod 1\.28\.0 \(1\.27\+ rules\)/, /templates: annotation inject\.istio\.io\/templates="sidecar,debug-tools": requested template "debug-tools" not found.* <- decides/, /admission: REFUSED/]],
    ['deployment/exporter', 'reports', [/version: 1\.26\.2/, /label sidecar\.istio\.io\/inject="no": explicit opt-out \(istiod 1\.26\.2 \(pre-1\.27 rules\)/]],
    ['deployment/istio-ingressgateway', 'istio-ingress', [/gateway \(stable\)/, /a gateway or waypoint: the proxy is the workload itself/]],
    ['deployment/prometheus', 'monitoring', [/drift ProxyImageMismatch/, /kubectl rollout restart deployment\/prometheus -n monitoring/]],
  ])('%s -n %s', async (target, namespace, patterns) => {
    const r = await runCli(['explain', target, '-n', namespace, '--demo']);
    expect(r.code, r.stderr).toBe(0);
    let text = r.stdout;
    if (target === 'deployment/istio-ingressgateway') {
      // The pod's own explanation shows its actual proxy.
      const pod = JSON.parse((await runCli(['explain', target, '-n', namespace, '--demo', '-o', 'json'])).stdout).pods[0].name;
      text += (await runCli(['explain', `pod/${pod}`, '-n', namespace, '--demo'])).stdout;
    }
    for (const p of patterns) expect(text).toMatch(p);
  });

  it('JSON: injector.version, rules and admission', async () => {
    const e = JSON.parse((await runCli(['explain', 'deployment/search', '-n', 'shop', '--demo', '-o', 'json'])).stdout);
    expect(e.injector).toMatchObject({ revision: 'canary', version: '1.28.0', rules: 'istiod 1.28.0 (1.27+ rules)', admission: { accepted: false } });
    expect(e.findings.map((f: { code: string }) => f.code)).toContain('InjectionRejected');
  });
});

describe('rollout --dry-run on the demo', () => {
  it('lists the refused workload as blocked with its reason and sends nothing', async () => {
    const r = await runCli(['rollout', '-A', '--dry-run', '--demo', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    const search = plan.workloads.find((w: { name: string }) => w.name === 'search');
    expect(search).toMatchObject({ namespace: 'shop', action: 'blocked' });
    expect(search.reason).toContain('debug-tools');
    expect(plan.workloads.map((w: { name: string }) => w.name)).toContain('prometheus');
    const text = await runCli(['rollout', '-A', '--dry-run', '--demo']);
    expect(text.stdout).toMatch(/shop\s+Deployment\/search\s+blocked\s+0\/1\s+InjectionRejected: istiod canary would refuse its new pods/);
  });
});

describe('remote clusters through --snapshot', () => {
  it('RemoteInjector without the ConfigMap; a second --snapshot adds the config cluster\'s ConfigMap, which is used', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const yaml = (await import('js-yaml')).default;
    const dir = mkdtempSync(join(tmpdir(), 'remote-'));
    const hook = (name: string, ns: unknown, obj: unknown) => ({
      name,
      clientConfig: { url: 'https://istiod.config.example:15017/inject/cluster/remote/net/network1' },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      namespaceSelector: ns,
      objectSelector: obj,
    });
    const remote = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', labels: { 'istio-injection': 'enabled' } } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'apps' }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'istio-sidecar-injector', labels: { 'istio.io/rev': 'default' } },
        webhooks: [hook('namespace.sidecar-injector.istio.io', { matchLabels: { 'istio-injection': 'enabled' } }, { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] })],
      },
    ];
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' }, data: { config: 'policy: disabled\n' } };
    writeFileSync(join(dir, 'remote.yaml'), yaml.dump({ apiVersion: 'v1', kind: 'List', items: remote }));
    writeFileSync(join(dir, 'config-cluster.yaml'), yaml.dump(cm));

    const alone = JSON.parse((await runCli(['status', '--snapshot', join(dir, 'remote.yaml'), '-o', 'json'])).stdout);
    expect(alone.findings.map((f: { code: string; severity: string }) => [f.code, f.severity])).toEqual([['RemoteInjector', 'info']]);
    expect(alone.injectors[0]).toMatchObject({ remote: true });
    expect(alone.pods[0].drift).toEqual(['MissingSidecar']);

    const both = JSON.parse((await runCli(['status', '--snapshot', join(dir, 'remote.yaml'), '--snapshot', join(dir, 'config-cluster.yaml'), '-o', 'json'])).stdout);
    expect(both.findings).toEqual([]);
    expect(both.injectors[0]).toMatchObject({ remote: false, policy: 'disabled' });
    expect(both.pods[0].desired.inject).toBe(false);
  });
});

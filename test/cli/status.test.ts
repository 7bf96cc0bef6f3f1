import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('status --demo', () => {
  it('prints a namespace table, a pod table and a summary', async () => {
    const r = await runCli(['status', '--demo']);
    expect(r.code).toBe(0);
    const [nsTable, podTable, summary] = r.stdout.trimEnd().split('\n\n');
    expect(nsTable?.split('\n')[0]).toMatch(/^NAMESPACE\s+INJECTION LABELS\s+REVISION\s+PODS\s+INJECTED\s+DRIFTED\s+FINDINGS$/);
    expect(podTable?.split('\n')[0]).toMatch(/^NAMESPACE\s+POD\s+WORKLOAD\s+DESIRED\s+ACTUAL\s+DRIFT\s+FINDINGS$/);
    expect(summary).toMatch(/^\d+ namespaces, \d+ pods, \d+ injected, \d+ drifted \(/);
    expect(r.stdout).not.toMatch(/\u001b\[/); // no colour without a TTY
  });

  it('shows every drift code and every finding of the contract', async () => {
    const r = await runCli(['status', '--demo', '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.kind).toBe('InjectionReport');
    const drift = new Set(report.pods.flatMap((p: { drift: string[] }) => p.drift));
    expect([...drift].sort()).toEqual(['MissingSidecar', 'NotCaptured', 'ProxyImageMismatch', 'RevisionMismatch', 'SidecarInAmbient', 'StaleTemplate', 'UnexpectedSidecar']);
    const findings = new Set([
      ...report.findings.map((f: { code: string }) => f.code),
      ...report.pods.flatMap((p: { findings: { code: string }[] }) => p.findings.map((f) => f.code)),
      ...report.namespaces.flatMap((n: { findings: { code: string }[] }) => n.findings.map((f) => f.code)),
    ]);
    for (const code of ['ConflictingLabels', 'UnknownRevision', 'MultipleInjectors', 'NoInjector', 'ManualSidecar', 'InvalidInjectValue', 'LabelOverridesAnnotation', 'ProxyCPUWithoutLimit', 'ProxyMemoryWithoutLimit', 'HostNetwork', 'NoZtunnel', 'WaypointMissing', 'L7PolicyNeedsWaypoint']) {
      expect(findings, code).toContain(code);
    }
  });

  it('reports the contract JSON shape', async () => {
    const r = await runCli(['status', '--demo', '-o', 'json', '-n', 'shop']);
    const report = JSON.parse(r.stdout);
    expect(report.injectors.map((i: { revision: string }) => i.revision).sort()).toEqual(['canary', 'stable']);
    const stable = report.injectors.find((i: { revision: string }) => i.revision === 'stable');
    expect(stable).toMatchObject({ configuration: 'istio-sidecar-injector-stable', tags: ['prod'], configMap: 'istio-system/istio-sidecar-injector-stable', policy: 'enabled', proxyImage: 'docker.io/istio/proxyv2:1.26.2' });
    expect(report.namespaces).toEqual([expect.objectContaining({ name: 'shop', revision: 'canary', pods: 6, injected: 5, drifted: 4, findings: [] })]);
    const cart = report.pods.find((p: { name: string }) => p.name.startsWith('cart-'));
    expect(cart).toMatchObject({
      namespace: 'shop',
      workload: { kind: 'Deployment', name: 'cart' },
      desired: { inject: true, revision: 'canary' },
      actual: { injected: true, revision: 'stable', image: 'docker.io/istio/proxyv2:1.26.2', mode: 'native-sidecar', viaInjector: true },
      drift: ['RevisionMismatch'],
    });
    expect(report.summary).toMatchObject({ namespaces: 1, pods: 6, injected: 5, drifted: 4, byDrift: { RevisionMismatch: 2, StaleTemplate: 1, MissingSidecar: 1 } });
  });

  it('-o yaml carries the same report', async () => {
    const json = JSON.parse((await runCli(['status', '--demo', '-o', 'json'])).stdout);
    const yamlOut = (await runCli(['status', '--demo', '-o', 'yaml'])).stdout;
    const { default: yaml } = await import('js-yaml');
    expect(yaml.load(yamlOut)).toEqual(json);
  });

  it('--drift-only keeps the counts and lists only pods with drift or findings', async () => {
    const all = JSON.parse((await runCli(['status', '--demo', '-o', 'json'])).stdout);
    const some = JSON.parse((await runCli(['status', '--demo', '-o', 'json', '--drift-only'])).stdout);
    expect(some.summary).toEqual(all.summary);
    expect(some.pods.length).toBeLessThan(all.pods.length);
    for (const p of some.pods) expect(p.drift.length + p.findings.length).toBeGreaterThan(0);
  });

  it('-l filters pods with kubectl selector syntax', async () => {
    const r = JSON.parse((await runCli(['status', '--demo', '-o', 'json', '-l', 'app in (cart,checkout)'])).stdout);
    expect(r.pods.map((p: { name: string }) => p.name.split('-')[0]).sort()).toEqual(['cart', 'cart', 'checkout']);
  });

  it('-o wide adds image and reason; --no-headers drops headers and summary', async () => {
    const wide = await runCli(['status', '--demo', '-o', 'wide', '-n', 'shop']);
    expect(wide.stdout.split('\n').find((l) => l.startsWith('NAMESPACE   POD'))).toMatch(/IMAGE\s+REASON$/);
    const bare = await runCli(['status', '--demo', '--no-headers', '-n', 'shop']);
    expect(bare.stdout).not.toMatch(/NAMESPACE|namespaces,/);
    expect(bare.stdout).toMatch(/^shop\s+istio\.io\/rev=canary\s+canary\s+6/);
  });

  it('--exit-code exits 3 on drift and 0 when clean', async () => {
    expect((await runCli(['status', '--demo', '--exit-code'])).code).toBe(3);
    expect((await runCli(['status', '--demo', '--exit-code', '-n', 'kube-system'])).code).toBe(0);
    expect((await runCli(['status', '--demo'])).code).toBe(0);
  });
});

describe('status --snapshot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinject-snap-'));
  const webhook = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'istio-sidecar-injector', labels: { 'istio.io/rev': 'default' } },
    webhooks: [
      {
        name: 'namespace.sidecar-injector.istio.io',
        clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/inject', port: 443 } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] },
        objectSelector: { matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }] },
      },
    ],
  };
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { 'istio-injection': 'enabled' } } };
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'demo' }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };

  it('reads a kind: List as printed by kubectl get -o yaml, from a file', async () => {
    const file = join(dir, 'list.yaml');
    const { default: yaml } = await import('js-yaml');
    writeFileSync(file, yaml.dump({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [webhook, ns, pod] }));
    const r = JSON.parse((await runCli(['status', '--snapshot', file, '-o', 'json'])).stdout);
    expect(r.pods[0]).toMatchObject({ name: 'web', desired: { inject: true, revision: 'default' }, drift: ['MissingSidecar'] });
    // The injector ConfigMap is missing: a finding, and the decision says what it assumed.
    expect(r.findings.map((f: { code: string }) => f.code)).toContain('MissingInjectorConfig');
  });

  it('reads multi-document YAML from a directory and JSON from stdin', async () => {
    const sub = join(dir, 'tree');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'a.yaml'), [webhook, ns].map((o) => JSON.stringify(o)).join('\n---\n'));
    writeFileSync(join(sub, 'b.json'), JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [{ ...pod, kind: undefined }] }));
    writeFileSync(join(sub, 'notes.txt'), 'ignored');
    const fromDir = JSON.parse((await runCli(['status', '--snapshot', sub, '-o', 'json'])).stdout);
    expect(fromDir.summary.pods).toBe(1);
    const fromStdin = await runCli(['status', '--snapshot', '-', '-o', 'json'], { input: JSON.stringify({ kind: 'List', items: [webhook, ns, pod] }) });
    expect(JSON.parse(fromStdin.stdout).summary).toMatchObject({ pods: 1, drifted: 1 });
  });

  it.each([
    [['status', '--snapshot', '/does/not/exist'], 1, /^error: snapshot \/does\/not\/exist: no such file or directory\n$/],
    [['status', '--snapshot', '-'], 1, /^error: snapshot <stdin>: not valid YAML or JSON/],
    [['status', '--demo', '-l', 'a in (b'], 2, /^error: invalid selector/],
    [['status', '--demo', '-o', 'xml'], 2, /^error: .*xml/],
    [['status', '--nope'], 2, /^error: Nonexistent flag: --nope\n$/],
    [['bogus'], 2, /^error: command bogus not found\n$/],
    [['status', '--kubeconfig', '/does/not/exist'], 1, /^error: kubeconfig \/does\/not\/exist: no such file\n$/],
  ])('bad input %j exits %i with one clear line', async (args, code, message) => {
    const r = await runCli(args as string[], { input: 'kind: [' });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a file with no Kubernetes objects is an error', async () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '# nothing\n');
    const r = await runCli(['status', '--snapshot', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/contains no Kubernetes objects/);
  });

  it('bad content in the cluster is a finding, not a failure', async () => {
    const file = join(dir, 'bad-content.yaml');
    const badHook = JSON.parse(JSON.stringify(webhook));
    badHook.webhooks.push({ ...badHook.webhooks[0], name: 'broken.sidecar-injector.istio.io', namespaceSelector: { matchExpressions: [{ key: 'x', operator: 'Near', values: ['y'] }] } });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' }, data: { config: 'policy: [enabled', values: '{not json' } };
    const badPod = { ...pod, metadata: { ...pod.metadata, name: 'odd', annotations: { 'sidecar.istio.io/status': '{broken' } } };
    writeFileSync(file, [badHook, cm, ns, pod, badPod].map((o) => JSON.stringify(o)).join('\n---\n'));
    const r = await runCli(['status', '--snapshot', file, '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const codes = report.findings.map((f: { code: string; object?: string }) => `${f.code} ${f.object}`);
    expect(codes).toContain('InvalidSelector mutatingwebhookconfiguration/istio-sidecar-injector');
    expect(codes).toContain('InvalidInjectorConfig configmap/istio-system/istio-sidecar-injector');
    expect(report.pods.find((p: { name: string }) => p.name === 'odd').findings.map((f: { code: string }) => f.code)).toContain('InvalidStatusAnnotation');
    expect(report.summary.pods).toBe(2);
  });
});

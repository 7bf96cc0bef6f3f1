// Istio's own data end to end: the copied fixtures are read the way `--snapshot` reads files
// (parseSnapshotText + stateFromObjects), then pods built from the injected workloads Istio's injector
// produced (test/fixtures/istio/pods) are classified.
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import type { RawObject } from '../../src/cluster/records.js';
import { parseSnapshotText, stateFromObjects } from '../../src/cluster/snapshot-source.js';
import { buildClusterContext, type ClusterContext } from '../../src/engine/cluster-context.js';
import { auditNamespace } from '../../src/engine/namespace-audit.js';
import { auditPod } from '../../src/engine/pod-audit.js';
import { ReportBuilder } from '../../src/engine/report.js';
import { fixtureObjects, fixtureText, GOLDEN, WEBHOOK_FILES } from './helpers.js';

const TEST_IMAGE = 'registry.istio.io/testing/proxyv2:latest';
const POD_FILES = {
  'hello': 'pods/hello.yaml.injected',
  'hello-old-version': 'pods/hello-old-version.yaml.injected',
  'hello-cni': 'pods/hello.yaml.cni.injected',
  'custom-template': 'pods/custom-template.yaml.injected',
  'gateway': 'pods/gateway.yaml.injected',
  'hello-ignore': 'pods/hello-ignore.yaml.injected',
} as const;
type PodKey = keyof typeof POD_FILES;

function deployment(key: PodKey): RawObject {
  const objects = fixtureObjects(POD_FILES[key]);
  expect(objects.map((o) => o.kind)).toEqual(['Deployment']);
  return objects[0]!;
}

/** A pod created from the Deployment's pod template by its ReplicaSet. */
function podFrom(key: PodKey, namespace: string, created = '2024-06-01T00:00:00Z'): RawObject {
  const d = deployment(key);
  const t = structuredClone(d.spec.template);
  const hash = '6d5f8c7b9';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...t.metadata,
      name: `${key}-${hash}-x2x7q`,
      namespace,
      creationTimestamp: created,
      labels: { ...t.metadata.labels, 'pod-template-hash': hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${d.metadata.name}-${hash}`, uid: 'u', controller: true }],
    },
    spec: t.spec,
    status: { phase: 'Running' },
  };
}

/** The golden install (mesh ConfigMap, injector ConfigMap, webhook configuration), optionally with other hub/tag. */
function golden(values?: { hub: string; tag: string }): RawObject[] {
  const objects = fixtureObjects(GOLDEN);
  // Istio's TestInjection renders custom-template.yaml with an injector that also has a template "custom"
  // (it rewrites the app container and adds no proxy); without it the injector would refuse the pod.
  const injector = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector')!;
  const config = yaml.load(injector.data.config) as { templates: Record<string, string> };
  config.templates.custom = 'spec:\n  containers:\n  - name: hello\n    env:\n    - {name: SOME_ENV, value: "true"}\n';
  injector.data.config = yaml.dump(config);
  if (values) {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'istio-sidecar-injector')!;
    const v = JSON.parse(cm.data.values);
    v.global.hub = values.hub;
    v.global.tag = values.tag;
    cm.data.values = JSON.stringify(v);
  }
  return objects;
}

const namespace = (name: string, labels: Record<string, string> = {}): RawObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

/** Serialises the objects as a `kind: List` (what `kubectl get -o yaml` prints) and reads it back. */
function snapshot(objects: RawObject[]): ClusterContext {
  const text = yaml.dump({ apiVersion: 'v1', kind: 'List', items: objects });
  return buildClusterContext(stateFromObjects(parseSnapshotText(text, 'test'), 'test'));
}

describe('the copied fixtures load as snapshots', () => {
  it('every rendered webhook file is one MutatingWebhookConfiguration', () => {
    const byFile = Object.entries(WEBHOOK_FILES).map(([k, f]) => [k, fixtureObjects(f).map((o) => `${o.kind}/${o.metadata.name}`)]);
    expect(byFile).toEqual([
      ['a', ['MutatingWebhookConfiguration/istio-sidecar-injector']],
      ['b', ['MutatingWebhookConfiguration/istio-sidecar-injector']],
      ['c', ['MutatingWebhookConfiguration/istio-sidecar-injector-canary']],
      ['d', ['MutatingWebhookConfiguration/istio-revision-tag-prod']],
      ['e', ['MutatingWebhookConfiguration/istio-revision-tag-default']],
    ]);
  });

  it('the files concatenated as multi-document YAML load into one state', () => {
    const text = [WEBHOOK_FILES.a, WEBHOOK_FILES.c, WEBHOOK_FILES.d, WEBHOOK_FILES.e, GOLDEN].map(fixtureText).join('\n---\n');
    const state = stateFromObjects(parseSnapshotText(text, 'all'), 'all');
    expect(state.webhookConfigurations.map((w) => w.name)).toEqual([
      'istio-sidecar-injector',
      'istio-sidecar-injector-canary',
      'istio-revision-tag-prod',
      'istio-revision-tag-default',
      'istio-sidecar-injector',
    ]);
    expect(state.configMaps.map((c) => `${c.namespace}/${c.name}`)).toEqual(['istio-system/istio', 'istio-system/istio-sidecar-injector']);
  });

  it('the golden install\'s webhooks are those of the rendered default revision (a)', () => {
    const fromGolden = golden().find((o) => o.kind === 'MutatingWebhookConfiguration')!;
    const a = fixtureObjects(WEBHOOK_FILES.a)[0]!;
    expect(fromGolden.webhooks).toEqual(a.webhooks);
  });

  it('the golden install has one default injector, policy enabled, mesh root namespace istio-control', () => {
    const ctx = snapshot(golden());
    expect([...ctx.injectors.keys()]).toEqual(['default']);
    const inj = ctx.injectors.get('default')!;
    expect(inj.configMapName).toBe('istio-sidecar-injector');
    expect(inj.config).toMatchObject({ policy: 'enabled', hub: 'registry.istio.io/release', tag: '1.1.4', defaultTemplates: ['sidecar'] });
    expect(inj.mesh.rootNamespace).toBe('istio-control');
    expect(ctx.findings).toEqual([]);
  });
});

describe('classification of the pods Istio\'s injector produced', () => {
  // Injector configured with the image Istio's injection tests use, so a current pod has no drift.
  const objects = [...golden({ hub: 'registry.istio.io/testing', tag: 'latest' }), namespace('demo', { 'istio-injection': 'enabled' })];
  for (const key of Object.keys(POD_FILES) as PodKey[]) objects.push(podFrom(key, 'demo'));
  const ctx = snapshot(objects);
  const pods = stateFromObjects(objects, 'pods').pods;
  const audit = (key: PodKey) => auditPod(ctx, pods.find((p) => p.name.startsWith(`${key}-`))!);

  // [pod, desired inject, desired templates, injected, mode, viaInjector, revision, image]
  it.each<[PodKey, boolean, string[] | undefined, boolean, string, boolean, string | null, string | null]>([
    ['hello', true, ['sidecar'], true, 'native-sidecar', true, 'default', TEST_IMAGE],
    ['hello-old-version', true, ['sidecar'], true, 'sidecar', true, 'default', TEST_IMAGE],
    ['hello-cni', true, ['sidecar'], true, 'native-sidecar', true, 'default', TEST_IMAGE],
    ['custom-template', true, ['custom'], false, 'none', true, 'default', null],
    ['gateway', true, ['gateway'], true, 'sidecar', true, 'default', TEST_IMAGE],
    ['hello-ignore', false, undefined, false, 'none', false, null, null],
  ])('%s', (key, inject, templates, injected, mode, viaInjector, revision, image) => {
    const a = audit(key);
    expect(a.desired.inject).toBe(inject);
    expect(a.desired.revision).toBe(inject ? 'default' : null);
    expect(a.desired.templates).toEqual(templates);
    expect(a.actual).toMatchObject({ injected, mode, viaInjector, revision, image, manual: false });
    // Every one of them is exactly what a restart would produce now.
    expect(a.drift).toEqual([]);
    expect(a.findings).toEqual([]);
    expect(a.workload).toEqual({ kind: 'Deployment', name: deployment(key).metadata.name });
  });

  it('custom-template went through the injector without a proxy: not MissingSidecar', () => {
    const a = audit('custom-template');
    expect(a.actual.proxyless).toBe(true);
    expect(a.drift).not.toContain('MissingSidecar');
  });

  it('hello-ignore: the webhook matches, the injector declines because of the annotation', () => {
    const a = auditPod(ctx, pods.find((p) => p.name.startsWith('hello-ignore-'))!);
    expect(a.decision.matched.map((m) => m.hook.webhook)).toEqual(['namespace.sidecar-injector.istio.io']);
    expect(a.decision.injecting).toEqual([]);
  });

  it('the namespace and the report agree', () => {
    expect(auditNamespace(ctx, 'demo')).toMatchObject({ revision: 'default', findings: [] });
    const builder = new ReportBuilder(ctx, { namespaces: ['demo'], source: { type: 'snapshot', partial: false, warnings: [] } });
    for (const p of pods) builder.addPod(p);
    const report = builder.build();
    expect(report.summary).toMatchObject({ namespaces: 1, pods: 6, injected: 4, drifted: 0, byDrift: {} });
    expect(report.namespaces[0]).toMatchObject({ name: 'demo', revision: 'default', pods: 6, injected: 4, drifted: 0 });
  });
});

describe('the same pods against other cluster states', () => {
  function auditIn(objects: RawObject[], ns: RawObject, key: PodKey, extra: RawObject[] = []) {
    const all = [...objects, ns, podFrom(key, ns.metadata.name), ...extra];
    const ctx = snapshot(all);
    const p = stateFromObjects(all, 'x').pods[0]!;
    return auditPod(ctx, p);
  }

  // Golden values unchanged: the injector now wants registry.istio.io/release/proxyv2:1.1.4.
  it.each<[PodKey, string[]]>([
    ['hello', ['ProxyImageMismatch']],
    ['hello-old-version', ['ProxyImageMismatch']],
    ['hello-cni', ['ProxyImageMismatch']],
    ['gateway', ['ProxyImageMismatch']],
    ['custom-template', []],
    ['hello-ignore', []],
  ])('golden injector (release 1.1.4), istio-injection=enabled: %s -> %j', (key, drift) => {
    const a = auditIn(golden(), namespace('demo', { 'istio-injection': 'enabled' }), key);
    expect(a.drift).toEqual(drift);
    if (drift.length) expect(a.actual.expectedImage).toBe('registry.istio.io/release/proxyv2:1.1.4');
  });

  it.each<[PodKey, string[]]>([
    ['hello', ['UnexpectedSidecar']],
    ['hello-old-version', ['UnexpectedSidecar']],
    ['hello-cni', ['UnexpectedSidecar']],
    ['gateway', ['UnexpectedSidecar']],
    ['custom-template', []],
    ['hello-ignore', []],
  ])('unlabelled namespace: %s -> %j', (key, drift) => {
    const a = auditIn(golden({ hub: 'registry.istio.io/testing', tag: 'latest' }), namespace('plain'), key);
    expect(a.drift).toEqual(drift);
  });

  it.each<[PodKey, string[]]>([
    ['hello', ['RevisionMismatch']],
    ['hello-old-version', ['RevisionMismatch']],
    ['gateway', ['RevisionMismatch']],
    ['custom-template', ['RevisionMismatch']],
    ['hello-ignore', []],
  ])('namespace moved to istio.io/rev=canary: %s -> %j', (key, drift) => {
    const canaryCM = fixtureObjects('injector/sidecar-injector-configmap-with-revision-canary.yaml');
    const a = auditIn([...golden({ hub: 'registry.istio.io/testing', tag: 'latest' }), ...fixtureObjects(WEBHOOK_FILES.c), ...canaryCM], namespace('moved', { 'istio.io/rev': 'canary' }), key);
    expect(a.drift).toEqual(drift);
    expect(a.desired.revision).toBe(key === 'hello-ignore' ? null : 'canary');
  });

  it('kube-injected: the Deployment itself carries the injected template -> ManualSidecar, no drift', () => {
    const d = { ...deployment('hello'), metadata: { ...deployment('hello').metadata, namespace: 'plain' } };
    const a = auditIn(golden({ hub: 'registry.istio.io/testing', tag: 'latest' }), namespace('plain'), 'hello', [d]);
    expect(a.actual.manual).toBe(true);
    expect(a.drift).toEqual([]);
    expect(a.findings.map((f) => f.code)).toEqual(['ManualSidecar']);
  });

  it('hello-ignore stays uninjected even with enableNamespacesByDefault (annotation false)', () => {
    const b = fixtureObjects(WEBHOOK_FILES.b);
    const objects = [...golden({ hub: 'registry.istio.io/testing', tag: 'latest' }).filter((o) => o.kind !== 'MutatingWebhookConfiguration'), ...b];
    const a = auditIn(objects, namespace('plain'), 'hello-ignore');
    expect(a.decision.matched.map((m) => m.hook.webhook)).toEqual(['auto.sidecar-injector.istio.io']);
    expect(a.desired.inject).toBe(false);
    expect(a.drift).toEqual([]);
  });
});

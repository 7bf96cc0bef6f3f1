// Upstream: istio/istio pkg/config/analysis/analyzers/analyzers_test.go (+ testdata, abridged copies in
// test/fixtures/upstream/analyzers; see its README)
// The injection entries of testGrid: istioInjection, istioInjectionEnableNamespacesByDefault,
// istioInjectionProxyImageMismatch, injectionImageDistroless, injectionImageDistrolessNoMeshConfig,
// istioInjectionProxyImageMismatchAbsolute, istioInjectionProxyImageMismatchWithRevisionCanary and
// "Detect `image: auto` in non-injected pods".
//
// Mapping of the analyzer's messages onto the contract:
// - IST0103 PodMissingProxy (pod)            ~ drift MissingSidecar on that pod
// - IST0123 NamespaceMultipleInjectionLabels ~ finding ConflictingLabels on that namespace
// - IST0102 NamespaceNotInjected / IST0148 NamespaceInjectionEnabledByDefault ~ the namespace's revision:
//   null (a plain pod there is not injected) / "default" (the enableNamespacesByDefault webhook injects it)
// - IST0158 PodsIstioProxyImageMismatchInNamespace ~ some pod of that namespace has drift ProxyImageMismatch
// - IST0173/IST0174 ImageAuto* ~ the workload/pod is not injected
// Where the analyzer's rules differ from the engine's (reference istio-injection.md §4, §8), only what holds
// for the engine is asserted and the difference is stated next to the case:
// - the analyzer infers everything from namespace labels and has no webhook configurations; the engine
//   decides through the webhooks, so each case adds the rendered webhook configurations of the install it
//   implies (test/fixtures/istio/webhooks: a = default revision, b = default with enableNamespacesByDefault,
//   c = revision canary; istiod-canary in injection.yaml "proves the existence of istio.io/rev canary");
// - IST0158 looks at any istio-proxy container. The image cases run twice: on the testdata as upstream has
//   it (no sidecar.istio.io/status: a webhook re-injects those proxies, istio-fidelity.md section 4), and with
//   the status annotation the injector of their namespace's revision writes (markInjected below);
// - IST0158 accepts the configured image with or without the variant suffix; the engine resolves the variant
//   the way the injector does (a restart gets `-distroless` when the mesh asks for it).
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import type { RawObject } from '../../../src/cluster/records.js';
import { buildClusterContext, type ClusterContext } from '../../../src/engine/cluster-context.js';
import { decide } from '../../../src/engine/decision.js';
import { auditNamespace } from '../../../src/engine/namespace-audit.js';
import { auditPod, type PodAuditDetail } from '../../../src/engine/pod-audit.js';
import type { ClusterState } from '../../../src/engine/types.js';
import { runCli } from '../../cli/run-cli.js';
import { codes, WEBHOOK_FILES } from '../helpers.js';
import { istioObjects, stateOf, upstreamObjects } from './support.js';

const A = () => istioObjects(WEBHOOK_FILES.a);
const B = () => istioObjects(WEBHOOK_FILES.b);
const C = () => istioObjects(WEBHOOK_FILES.c);

interface Case {
  ctx: ClusterContext;
  state: ClusterState;
  audits: Map<string, PodAuditDetail>;
}

function load(objects: RawObject[]): Case {
  const state = stateOf(objects);
  const ctx = buildClusterContext(state);
  const audits = new Map<string, PodAuditDetail>();
  for (const p of state.pods) audits.set(`${p.namespace}/${p.name}`, auditPod(ctx, p));
  return { ctx, state, audits };
}

function namespacesWithFinding(c: Case, code: string): string[] {
  return c.state.namespaces
    .map((n) => auditNamespace(c.ctx, n.name))
    .filter((a) => codes(a.findings).includes(code))
    .map((a) => a.name)
    .sort();
}

function podsWithDrift(c: Case, code: string): string[] {
  return [...c.audits.entries()].filter(([, a]) => a.drift.includes(code as never)).map(([k]) => k).sort();
}

function namespacesWithDrift(c: Case, code: string): string[] {
  return [...new Set(podsWithDrift(c, code).map((k) => k.split('/')[0]!))].sort();
}

/** The injector's sidecar.istio.io/status on every pod that has an istio-proxy, for the given revision per namespace. */
function markInjected(objects: RawObject[], revisionOf: Record<string, string>): RawObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Pod') return o;
    const native = (o.spec.initContainers ?? []).some((c: RawObject) => c.name === 'istio-proxy');
    const classic = (o.spec.containers ?? []).some((c: RawObject) => c.name === 'istio-proxy');
    const revision = revisionOf[o.metadata.namespace];
    if ((!native && !classic) || revision === undefined) return o;
    const status = {
      initContainers: native ? ['istio-init', 'istio-proxy'] : ['istio-init'],
      containers: native ? null : ['istio-proxy'],
      volumes: ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'],
      imagePullSecrets: null,
      revision,
    };
    const copy = structuredClone(o);
    copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), 'sidecar.istio.io/status': JSON.stringify(status), 'istio.io/rev': revision };
    return copy;
  });
}

const injectionYaml = () => [...upstreamObjects('analyzers/injection.yaml'), ...upstreamObjects('analyzers/injection-multi-ns.reconstructed.yaml')];
const MULTI = ['busted', 'multi-ns-1', 'multi-ns-2', 'multi-ns-3'];

describe('istioInjection (testdata/injection.yaml)', () => {
  // Install: default revision (a) and revision canary (c); no injector ConfigMap, as upstream (policy "enabled" assumed).
  const c = load([...injectionYaml(), ...A(), ...C()]);

  it('IST0103 PodMissingProxy on default/noninjectedpod only: MissingSidecar', () => {
    // istio-system/istiod-canary-... is left out: the analyzer skips istio-system (it is not labelled); its pod
    // carries istio.io/rev=canary, which the canary webhook's rev.object selector does match (engine: MissingSidecar).
    expect(podsWithDrift(c, 'MissingSidecar').filter((k) => !k.startsWith('istio-system/'))).toEqual(['default/noninjectedpod']);
  });

  it.each([
    ['injectedpod', 'has an istio-proxy'],
    ['podinjectiondisabled', 'annotation sidecar.istio.io/inject "false"'],
    ['podinjectiondisabled-label', 'label sidecar.istio.io/inject "false"'],
    ['podinjectiondisabled-label-and-anno', 'label "false" wins over annotation "true"'],
    ['noninjectedpodhostnetwork', 'host network'],
  ])('no IST0103 for default/%s (%s)', (name) => {
    const a = c.audits.get(`default/${name}`)!;
    expect(a.drift).not.toContain('MissingSidecar');
    if (name !== 'injectedpod') expect(a.desired.inject).toBe(false);
  });

  it('IST0123 NamespaceMultipleInjectionLabels on busted, multi-ns-1..3: ConflictingLabels, nowhere else', () => {
    expect(namespacesWithFinding(c, 'ConflictingLabels')).toEqual(MULTI);
  });

  it('IST0102 NamespaceNotInjected on bar: a plain pod there is not injected', () => {
    expect(auditNamespace(c.ctx, 'bar').revision).toBeNull();
    // The labelled namespaces the analyzer is silent about are injected by their revision.
    expect(auditNamespace(c.ctx, 'default').revision).toBe('default');
    expect(auditNamespace(c.ctx, 'canary-test').revision).toBe('canary');
    expect(auditNamespace(c.ctx, 'busted').revision).toBe('default'); // istio-injection wins over istio.io/rev
    expect(auditNamespace(c.ctx, 'foo').revision).toBeNull();
  });
});

describe('istioInjectionEnableNamespacesByDefault (+ common/sidecar-injector-enabled-nsbydefault.yaml)', () => {
  // Install: default revision rendered with enableNamespacesByDefault (b, adds the auto. webhook), canary (c).
  const c = load([...injectionYaml(), ...upstreamObjects('analyzers/common-sidecar-injector-enabled-nsbydefault.yaml'), ...B(), ...C()]);

  it('IST0148 NamespaceInjectionEnabledByDefault on bar: a plain pod there is injected by the default revision', () => {
    expect(auditNamespace(c.ctx, 'bar').revision).toBe('default');
  });

  it('IST0103 on default/noninjectedpod: MissingSidecar', () => {
    expect(podsWithDrift(c, 'MissingSidecar').filter((k) => !k.startsWith('istio-system/'))).toEqual(['default/noninjectedpod']);
  });

  it('IST0123 on busted, multi-ns-1..3: ConflictingLabels', () => {
    expect(namespacesWithFinding(c, 'ConflictingLabels')).toEqual(MULTI);
  });
});

/** analyzers_test.go cases on injection-with-mismatched-sidecar.yaml: [name, ConfigMaps, namespaces IST0158 reports]. */
const IMAGE_MISMATCH_CASES: [string, string[], string[]][] = [
  ['istioInjectionProxyImageMismatch', ['analyzers/common-sidecar-injector-configmap.yaml'], ['enabled-namespace', 'enabled-namespace-native']],
  ['istioInjectionProxyImageMismatchAbsolute', ['analyzers/sidecar-injector-configmap-absolute-override.yaml'], ['enabled-namespace', 'enabled-namespace-native']],
  [
    'istioInjectionProxyImageMismatchWithRevisionCanary',
    ['analyzers/sidecar-injector-configmap-absolute-override.yaml', 'analyzers/sidecar-injector-configmap-with-revision-canary.yaml'],
    ['enabled-namespace', 'enabled-namespace-native', 'revision-namespace'],
  ],
];

describe('IST0158 PodsIstioProxyImageMismatchInNamespace (testdata/injection-with-mismatched-sidecar.yaml)', () => {
  const pods = () =>
    markInjected([...upstreamObjects('analyzers/injection-with-mismatched-sidecar.yaml'), ...upstreamObjects('analyzers/injection-with-mismatched-sidecar-native.reconstructed.yaml')], {
      'enabled-namespace': 'default',
      'enabled-namespace-native': 'default',
      'revision-namespace': 'canary',
      default: 'default', // injected by the default revision before the namespace lost its label
    });

  it.each(IMAGE_MISMATCH_CASES)('%s', (_name, configMaps, expected) => {
    const c = load([...pods(), ...configMaps.flatMap((f) => upstreamObjects(f)), ...A(), ...C()]);
    expect(namespacesWithDrift(c, 'ProxyImageMismatch')).toEqual(expected);
    // Per pod: the old proxies drift, the current ones and the pinned ones (sidecar.istio.io/proxyImage) do not.
    expect(c.audits.get('enabled-namespace/details-v1-pod-old')!.drift).toContain('ProxyImageMismatch');
    expect(c.audits.get('enabled-namespace/details-v1-pod-new')!.drift).not.toContain('ProxyImageMismatch');
    expect(c.audits.get('enabled-namespace/details-v1-pod-overwritten-sidecar')!.drift).not.toContain('ProxyImageMismatch');
    expect(c.audits.get('enabled-namespace-native/details-v1-pod-new-native')!.drift).not.toContain('ProxyImageMismatch');
    expect(c.audits.get('revision-namespace/revision-details-v1-pod-new')!.drift).not.toContain('ProxyImageMismatch');
    expect(c.audits.get('revision-namespace/revision-details-v1-pod-overwritten-sidecar')!.drift).not.toContain('ProxyImageMismatch');
    // Namespace default is not enabled: no image check (the engine says the pod would lose its sidecar instead).
    expect(c.audits.get('default/details-v2-pod-old')!.drift).not.toContain('ProxyImageMismatch');
  });

  it('the expected image: hub/proxyv2:tag, or global.proxy.image verbatim when it contains "/"', () => {
    const common = load([...pods(), ...upstreamObjects('analyzers/common-sidecar-injector-configmap.yaml'), ...A(), ...C()]);
    expect(common.audits.get('enabled-namespace/details-v1-pod-old')!.actual.expectedImage).toBe('docker.io/istio/proxyv2:1.3.1');
    const absolute = load([...pods(), ...upstreamObjects('analyzers/sidecar-injector-configmap-absolute-override.yaml'), ...A(), ...C()]);
    expect(absolute.audits.get('enabled-namespace/details-v1-pod-old')!.actual.expectedImage).toBe('docker.io/istio/proxyv2:1.3.1');
  });
});

describe('IST0158 on the testdata as upstream has it (no sidecar.istio.io/status on the pods)', () => {
  // istio-fidelity.md section 4: a webhook re-injects these proxies on the next restart, so they are not manual
  // sidecars and their images follow the injector: every pod IST0158 flags has ProxyImageMismatch.
  const raw = () => [...upstreamObjects('analyzers/injection-with-mismatched-sidecar.yaml'), ...upstreamObjects('analyzers/injection-with-mismatched-sidecar-native.reconstructed.yaml')];
  it.each(IMAGE_MISMATCH_CASES)('%s', (_name, configMaps, expected) => {
    const c = load([...raw(), ...configMaps.flatMap((f) => upstreamObjects(f)), ...A(), ...C()]);
    expect(namespacesWithDrift(c, 'ProxyImageMismatch')).toEqual(expected);
    expect(c.audits.get('enabled-namespace/details-v1-pod-old')!.drift).toEqual(['ProxyImageMismatch']);
    expect(c.audits.get('enabled-namespace/details-v1-pod-old')!.actual.manual).toBe(false);
    expect(c.audits.get('enabled-namespace/details-v1-pod-new')!.drift).toEqual([]);
    expect(c.audits.get('enabled-namespace/details-v1-pod-overwritten-sidecar')!.drift).toEqual([]);
    // Namespace default has no injection label: no webhook re-injects, so that proxy is the pod's own.
    expect(c.audits.get('default/details-v2-pod-old')!.drift).toEqual([]);
    expect(codes(c.audits.get('default/details-v2-pod-old')!.findings)).toContain('ManualSidecar');
  });

  it('injectionImageDistroless as upstream: the 1.3.0 proxy drifts, the -distroless one does not', () => {
    const c = load([...upstreamObjects('analyzers/injection-image-distroless.yaml'), ...upstreamObjects('analyzers/common-sidecar-injector-configmap.yaml'), ...upstreamObjects('analyzers/meshconfig.yaml'), ...A()]);
    expect(c.audits.get('enabled-namespace/details-v1-pod-old')!.drift).toContain('ProxyImageMismatch');
    expect(c.audits.get('enabled-namespace-2/details-v1-pod-new-distroless')!.drift).not.toContain('ProxyImageMismatch');
  });

  it('injectionImageDistrolessNoMeshConfig as upstream: no ProxyImageMismatch', () => {
    const c = load([...upstreamObjects('analyzers/injection-image-distroless-no-meshconfig.yaml'), ...upstreamObjects('analyzers/common-sidecar-injector-configmap.yaml'), ...A()]);
    expect(namespacesWithDrift(c, 'ProxyImageMismatch')).toEqual([]);
  });
});

describe('injectionImageDistroless (testdata/injection-image-distroless.yaml, mesh defaultConfig.image.imageType distroless)', () => {
  const objects = markInjected(upstreamObjects('analyzers/injection-image-distroless.yaml'), { 'enabled-namespace': 'default', 'enabled-namespace-2': 'default' });
  const c = load([...objects, ...upstreamObjects('analyzers/common-sidecar-injector-configmap.yaml'), ...upstreamObjects('analyzers/meshconfig.yaml'), ...A()]);

  it('enabled-namespace: the 1.3.0 proxy drifts', () => {
    expect(c.audits.get('enabled-namespace/details-v1-pod-old')!.drift).toContain('ProxyImageMismatch');
    expect(c.audits.get('enabled-namespace/details-v1-pod-old')!.actual.expectedImage).toBe('docker.io/istio/proxyv2:1.3.1-distroless');
  });

  it('enabled-namespace-2: the 1.3.1-distroless proxy is current', () => {
    expect(c.audits.get('enabled-namespace-2/details-v1-pod-new-distroless')!.drift).not.toContain('ProxyImageMismatch');
  });

  it('enabled-namespace-2: the plain 1.3.1 proxy (accepted by the analyzer) drifts for the engine: a restart gets -distroless', () => {
    expect(c.audits.get('enabled-namespace-2/details-v1-pod-new')!.drift).toContain('ProxyImageMismatch');
  });
});

describe('injectionImageDistrolessNoMeshConfig (ProxyConfig or annotation asks for distroless): no message', () => {
  const objects = markInjected(upstreamObjects('analyzers/injection-image-distroless-no-meshconfig.yaml'), {
    'ns-override': 'default',
    'workload-override': 'default',
    'annotation-override': 'default',
  });
  const c = load([...objects, ...upstreamObjects('analyzers/common-sidecar-injector-configmap.yaml'), ...A()]);

  it.each([
    ['ns-override/details-v1-pod-ns-override', 'namespace-wide ProxyConfig'],
    ['workload-override/details-v1-pod-workload-override', 'ProxyConfig selecting the workload'],
    ['annotation-override/details-v1-pod-annotation-override', 'proxy.istio.io/config annotation'],
  ])('%s (%s)', (key) => {
    const a = c.audits.get(key)!;
    expect(a.actual.expectedImage).toBe('docker.io/istio/proxyv2:1.3.1-distroless');
    expect(a.drift).toEqual([]);
  });

  it('no namespace has a ProxyImageMismatch', () => {
    expect(namespacesWithDrift(c, 'ProxyImageMismatch')).toEqual([]);
  });
});

describe('Detect `image: auto` in non-injected pods (testdata/image-auto.yaml)', () => {
  // As upstream (its webhook configuration has selectors only), and with the rendered default revision (a).
  const variants: [string, RawObject[]][] = [
    ['upstream webhook configuration', upstreamObjects('analyzers/image-auto.yaml')],
    ['rendered default revision', [...upstreamObjects('analyzers/image-auto.yaml').filter((o) => o.kind !== 'MutatingWebhookConfiguration'), ...A()]],
  ];

  it.each(variants)('IST0173 Deployment not-injected/non-injected-gateway-deployment: its pods are not injected (%s)', (_v, objects) => {
    const c = load(objects);
    const w = c.state.workloads.find((x) => x.name === 'non-injected-gateway-deployment')!;
    expect(decide(c.ctx, w.template).inject).toBe(false);
  });

  it.each(variants)('IST0174 Pod default/injected-pod did not go through the injector (%s)', (_v, objects) => {
    const a = load(objects).audits.get('default/injected-pod')!;
    expect(a.desired.inject).toBe(false);
    expect(a.actual.viaInjector).toBe(false);
  });

  // `image: auto` is the placeholder the injector replaces; left in place, the pod runs no proxy.
  it.each(variants)('IST0174 Pod default/injected-pod: its istio-proxy (image: auto) is not an injected proxy (%s)', (_v, objects) => {
    const a = load(objects).audits.get('default/injected-pod')!;
    expect(a.actual.injected).toBe(false);
  });

  it.each(variants)('no message for istio-system/istiod-canary-...: no istio-proxy at all (%s)', (_v, objects) => {
    const a = load(objects).audits.get('istio-system/istiod-canary-1234567890-12345')!;
    expect(a.actual).toMatchObject({ injected: false, viaInjector: false, manual: false });
  });
});

describe('istioInjection through the CLI (status on a snapshot)', () => {
  it('reports MissingSidecar for default/noninjectedpod and ConflictingLabels for busted, multi-ns-1..3', async () => {
    const text = yaml.dump({ apiVersion: 'v1', kind: 'List', items: [...injectionYaml(), ...A(), ...C()] });
    const r = await runCli(['status', '--snapshot', '-', '-o', 'json'], { input: text });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const missing = report.pods
      .filter((p: { drift: string[] }) => p.drift.includes('MissingSidecar'))
      .map((p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`)
      .filter((k: string) => !k.startsWith('istio-system/'));
    expect(missing).toEqual(['default/noninjectedpod']);
    const conflicting = report.namespaces
      .filter((n: { findings: { code: string }[] }) => n.findings.some((f) => f.code === 'ConflictingLabels'))
      .map((n: { name: string }) => n.name)
      .sort();
    expect(conflicting).toEqual(MULTI);
  });
});

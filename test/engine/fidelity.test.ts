// The cases real clusters hit (istio-fidelity.md sections 1 and 3-7): gateways and waypoints, re-injection
// of kube-injected and customised workloads, proxy image pins and ProxyConfig precedence, version-dependent
// image types, remote injectors, reinvocation, and the smaller points.
import { describe, expect, it } from 'vitest';
import { podRecord, proxyConfigRecord, webhookConfigurationRecord, workloadRecord, type RawObject } from '../../src/cluster/records.js';
import { decide } from '../../src/engine/decision.js';
import { parseInjectorConfig, parseMeshConfig } from '../../src/engine/injector-config.js';
import { auditNamespace } from '../../src/engine/namespace-audit.js';
import { auditPod } from '../../src/engine/pod-audit.js';
import { effectiveImageType, expectedProxyImage } from '../../src/engine/proxy-image.js';
import { ReportBuilder } from '../../src/engine/report.js';
import {
  APP,
  classicProxy,
  codes,
  context,
  injectedPod,
  injectorConfigMap,
  ISTIO_INIT,
  meshConfigMap,
  ns,
  pod,
  rawWebhook,
  statusAnnotation,
  webhookConfig,
  workload,
} from './helpers.js';

const CURRENT = 'docker.io/istio/proxyv2:1.28.0';
const OLD = 'docker.io/istio/proxyv2:1.25.3';

function world(extra: Parameters<typeof context>[0] = {}) {
  return context({
    webhookConfigurations: [webhookConfig('a')],
    configMaps: [injectorConfigMap({ values: { tag: '1.28.0' } })],
    namespaces: [ns('inj', { 'istio-injection': 'enabled' }), ns('plain'), ns('istio-system'), ns('istio-ingress')],
    ...extra,
  });
}

/** A pod as the API gives it (so records.ts reads the istio-proxy args). */
function rawPod(meta: RawObject, containers: RawObject[], owner?: { kind: string; name: string }): ReturnType<typeof podRecord> {
  return podRecord({
    kind: 'Pod',
    metadata: { creationTimestamp: '2026-11-20T00:00:00Z', ...meta, ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}) },
    spec: { containers },
  });
}

describe('gateways and waypoints run their own proxy: mode gateway, never drift, never manual', () => {
  const ctx = world();
  const proxy = (role: string) => ({ name: 'istio-proxy', image: OLD, args: ['proxy', role, '--domain', '$(POD_NAMESPACE).svc.cluster.local'] });

  it.each<[string, RawObject, RawObject[]]>([
    ['gateway chart ingress gateway (proxy router, inject=false)', { name: 'istio-ingressgateway-7d9-x', namespace: 'istio-ingress', labels: { istio: 'ingressgateway', 'sidecar.istio.io/inject': 'false' }, annotations: { 'istio.io/rev': 'default' } }, [proxy('router')]],
    ['the same in an injected namespace', { name: 'gw-1', namespace: 'inj', labels: { istio: 'ingressgateway', 'sidecar.istio.io/inject': 'false' }, annotations: { 'istio.io/rev': 'default' } }, [proxy('router')]],
    ['istiod-managed gateway (kube-gateway.yaml)', { name: 'gw-istio-abc', namespace: 'inj', labels: { 'gateway.istio.io/managed': 'istio.io-gateway-controller', 'sidecar.istio.io/inject': 'false' }, annotations: { 'istio.io/rev': 'default' } }, [proxy('router')]],
    ['istiod-managed waypoint (waypoint.yaml)', { name: 'waypoint-abc', namespace: 'inj', labels: { 'gateway.istio.io/managed': 'istio.io-mesh-controller', 'sidecar.istio.io/inject': 'false' }, annotations: { 'istio.io/rev': 'default' } }, [proxy('waypoint')]],
    ['waypoint in an unlabelled namespace', { name: 'waypoint-def', namespace: 'plain', labels: { 'gateway.istio.io/managed': 'istio.io-mesh-controller' }, annotations: { 'istio.io/rev': 'default' } }, [proxy('waypoint')]],
  ])('%s', (_name, meta, containers) => {
    const a = auditPod(ctx, rawPod(meta, containers, { kind: 'ReplicaSet', name: 'gw-7d9' }));
    expect(a.actual).toMatchObject({ mode: 'gateway', injected: true, manual: false, viaInjector: false, revision: 'default', image: OLD });
    expect(a.drift).toEqual([]);
    expect(codes(a.findings)).not.toContain('ManualSidecar');
  });

  it('a pod with istio-proxy `proxy sidecar` and no status is not a gateway', () => {
    const a = auditPod(ctx, rawPod({ name: 'x', namespace: 'plain' }, [{ name: 'app', image: 'a' }, proxy('sidecar')]));
    expect(a.actual.mode).toBe('sidecar');
    expect(codes(a.findings)).toContain('ManualSidecar');
  });

  it('a gateway injected with the gateway template has a status: audited like a sidecar (its image follows the injector)', () => {
    const ctx = world({ configMaps: [injectorConfigMap({ values: { tag: '1.28.0' }, config: { templates: { sidecar: 'containers:\n- name: istio-proxy\n', gateway: 'containers:\n- name: istio-proxy\n' } } })] });
    const p = rawPod(
      { name: 'gw-2', namespace: 'inj', labels: { istio: 'ingressgateway' }, annotations: { 'inject.istio.io/templates': 'gateway', 'sidecar.istio.io/status': statusAnnotation({ revision: 'default' }), 'istio.io/rev': 'default' } },
      [proxy('router')],
    );
    const a = auditPod(ctx, p);
    expect(a.actual.mode).toBe('sidecar');
    expect(a.drift).toEqual(['ProxyImageMismatch']);
    expect(a.actual.expectedImage).toBe(CURRENT);
  });

  it('the report counts a gateway as injected and shows mode gateway', () => {
    const b = new ReportBuilder(ctx, { namespaces: [], source: { type: 'snapshot', partial: false, warnings: [] } });
    b.addPod(rawPod({ name: 'w', namespace: 'inj', labels: { 'gateway.istio.io/managed': 'istio.io-mesh-controller', 'sidecar.istio.io/inject': 'false' } }, [proxy('waypoint')]));
    const r = b.build();
    expect(r.pods[0]!.actual.mode).toBe('gateway');
    expect(r.summary).toMatchObject({ injected: 1, drifted: 0 });
  });
});

describe('re-injection: a proxy from the workload template is manual only when no webhook injects', () => {
  const kubeInjected = (namespace: string, image = OLD) =>
    workload('Deployment', 'legacy', { containers: [APP, classicProxy(image)], initContainers: [ISTIO_INIT], annotations: { 'sidecar.istio.io/status': statusAnnotation({ revision: 'old' }) } }, namespace);
  const customised = (namespace: string, image: string) => workload('Deployment', 'custom', { containers: [APP, classicProxy(image)] }, namespace);
  const owned = (name: string) => ({ owner: { kind: 'Deployment', name } });

  it('kube-injected template, no webhook injects: ManualSidecar, no drift', () => {
    const ctx = world({ workloads: [kubeInjected('plain')] });
    const a = auditPod(ctx, injectedPod('old', { namespace: 'plain', ...owned('legacy'), containers: [APP, classicProxy(OLD)] }));
    expect(a.actual.manual).toBe(true);
    expect(a.drift).toEqual([]);
    expect(codes(a.findings)).toContain('ManualSidecar');
  });

  it('kube-injected template where the webhook injects: re-injected, so revision and image drift apply', () => {
    const ctx = world({ workloads: [kubeInjected('inj')] });
    const a = auditPod(ctx, injectedPod('old', { namespace: 'inj', ...owned('legacy'), containers: [APP, classicProxy(OLD)] }));
    expect(a.actual).toMatchObject({ manual: false, viaInjector: true, revision: 'old' });
    expect(a.drift).toEqual(['RevisionMismatch']);
    expect(codes(a.findings)).not.toContain('ManualSidecar');
  });

  it('kube-injected by the same revision with an old image: ProxyImageMismatch (the webhook strips and re-renders it)', () => {
    const ctx = world({ workloads: [kubeInjected('inj')] });
    const a = auditPod(ctx, injectedPod('default', { namespace: 'inj', ...owned('legacy'), containers: [APP, classicProxy(OLD)] }));
    expect(a.drift).toEqual(['ProxyImageMismatch']);
    expect(a.actual.expectedImage).toBe(CURRENT);
  });

  it('a customised istio-proxy with its own image: the injector keeps it; no drift, CustomProxyImage', () => {
    const ctx = world({ workloads: [customised('inj', OLD)] });
    const a = auditPod(ctx, injectedPod('default', { namespace: 'inj', ...owned('custom'), containers: [APP, classicProxy(OLD)] }));
    expect(a.drift).toEqual([]);
    expect(a.actual.expectedImage).toBe(OLD);
    expect(codes(a.findings)).toEqual(['CustomProxyImage']);
  });

  it('a customised istio-proxy with image auto follows the injector', () => {
    const ctx = world({ workloads: [customised('inj', 'auto')] });
    const a = auditPod(ctx, injectedPod('default', { namespace: 'inj', ...owned('custom'), containers: [APP, classicProxy(OLD)] }));
    expect(a.drift).toEqual(['ProxyImageMismatch']);
    expect(codes(a.findings)).toEqual([]);
  });

  it('a bare pod with an old istio-proxy and no status where the webhook injects: ProxyImageMismatch (as IST0158)', () => {
    const a = auditPod(world(), pod({ namespace: 'inj', containers: [APP, classicProxy(OLD)] }));
    expect(a.actual).toMatchObject({ manual: false, viaInjector: false, injected: true });
    expect(a.drift).toEqual(['ProxyImageMismatch']);
    expect(a.actual.expectedImage).toBe(CURRENT);
    expect(auditPod(world(), pod({ namespace: 'inj', containers: [APP, classicProxy(CURRENT)] })).drift).toEqual([]);
  });
});

describe('proxy image (istio-fidelity.md section 5)', () => {
  const config = parseInjectorConfig(injectorConfigMap({ values: { tag: '1.28.0' } }), 'default');
  const none = { imageType: undefined, source: 'none' };

  it.each<[string, string, boolean]>([
    ['docker.io/istio/proxyv2:1.20.0', 'docker.io/istio/proxyv2:1.20.0', true],
    ['my-registry/proxy:custom', 'my-registry/proxy:custom', true],
    ['proxyv2:1.20.0', CURRENT, false],
    ['custom', CURRENT, false],
  ])('sidecar.istio.io/proxyImage=%s -> %s (pinned %s)', (value, image, pinned) => {
    const e = expectedProxyImage(config, { 'sidecar.istio.io/proxyImage': value }, none);
    expect(e.image).toBe(image);
    expect(e.pinned).toBe(pinned);
  });

  it('a proxyImage value without "/" does not exempt the pod from ProxyImageMismatch', () => {
    const ctx = world();
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj', annotations: { 'sidecar.istio.io/proxyImage': 'proxyv2:1.20' } }, { image: OLD })).drift).toEqual(['ProxyImageMismatch']);
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj', annotations: { 'sidecar.istio.io/proxyImage': OLD } }, { image: OLD })).drift).toEqual([]);
  });

  // An image set with an empty type: no variant up to 1.30; from 1.31 global.variant.
  it.each<[string, string]>([
    ['1.30.3', 'docker.io/istio/proxyv2:1.30.3'],
    ['1.31.0', 'docker.io/istio/proxyv2:1.31.0-distroless'],
  ])('empty ProxyConfig image type with global.variant distroless on %s -> %s', (tag, image) => {
    const c = parseInjectorConfig(injectorConfigMap({ values: { tag, variant: 'distroless' } }), 'default');
    expect(expectedProxyImage(c, {}, { imageType: '', source: 'ProxyConfig demo/x' }).image).toBe(image);
    // No image anywhere: the variant on both sides.
    expect(expectedProxyImage(c, {}, none).image).toBe(`docker.io/istio/proxyv2:${tag}-distroless`);
  });

  it('oldest ProxyConfig per level counts, even when it sets no image', () => {
    const pc = (name: string, created: string, spec: RawObject) => proxyConfigRecord({ kind: 'ProxyConfig', metadata: { name, namespace: 'demo', creationTimestamp: created }, spec });
    const mesh = parseMeshConfig(meshConfigMap('defaultConfig:\n  image:\n    imageType: debug\n'));
    const older = pc('older', '2026-01-01T00:00:00Z', { concurrency: 2 });
    const newer = pc('newer', '2026-02-01T00:00:00Z', { image: { imageType: 'distroless' } });
    // Namespace level: the older one wins and sets no image, so the mesh default decides.
    expect(effectiveImageType('demo', {}, {}, [newer, older], mesh)).toEqual({ imageType: 'debug', source: 'mesh defaultConfig.image' });
    const olderWithImage = pc('older', '2026-01-01T00:00:00Z', { image: { imageType: 'default' } });
    expect(effectiveImageType('demo', {}, {}, [newer, olderWithImage], mesh)).toMatchObject({ imageType: 'default', source: 'ProxyConfig demo/older' });
  });

  it('`selector: {}` is read as a selector with no labels (selects nothing), no selector as namespace-wide', () => {
    expect(proxyConfigRecord({ kind: 'ProxyConfig', metadata: { name: 'a', namespace: 'demo' }, spec: { selector: {}, image: { imageType: 'debug' } } }).selector).toEqual({});
    expect(proxyConfigRecord({ kind: 'ProxyConfig', metadata: { name: 'a', namespace: 'demo' }, spec: { image: { imageType: 'debug' } } }).selector).toBeNull();
  });
});

describe('remote clusters (section 6)', () => {
  const remoteWebhooks = () => {
    const raw = structuredClone(rawWebhook('a'));
    for (const w of raw.webhooks as RawObject[]) w.clientConfig = { url: 'https://istiod.config-cluster.example:15017/inject/cluster/remote/net/network1' };
    return webhookConfigurationRecord(raw);
  };

  it('url webhooks and no ConfigMap: RemoteInjector (info), chart defaults assumed, no MissingInjectorConfig', () => {
    const ctx = context({ webhookConfigurations: [remoteWebhooks()], namespaces: [ns('inj', { 'istio-injection': 'enabled' })] });
    expect(ctx.findings.map((f) => [f.code, f.severity])).toEqual([['RemoteInjector', 'info']]);
    expect(decide(ctx, pod({ namespace: 'inj' })).inject).toBe(true);
    expect(ctx.injectors.get('default')!.remote).toBe(true);
  });

  it('the config cluster\'s ConfigMap, added to the snapshot, is used', () => {
    const ctx = context({
      webhookConfigurations: [remoteWebhooks()],
      configMaps: [injectorConfigMap({ config: { policy: 'disabled' } })],
      namespaces: [ns('inj', { 'istio-injection': 'enabled' })],
    });
    expect(codes(ctx.findings)).toEqual([]);
    expect(decide(ctx, pod({ namespace: 'inj' })).inject).toBe(false);
  });

  it('a service webhook without its ConfigMap is still MissingInjectorConfig', () => {
    expect(codes(context({ webhookConfigurations: [webhookConfig('a')] }).findings)).toEqual(['MissingInjectorConfig']);
  });
});

describe('reinvocationPolicy IfNeeded changes which injector renders last (section 7)', () => {
  // The default MWC (a) and the tag-default MWC for canary (e) both inject in istio-injection=enabled.
  const withPolicy = (key: 'a' | 'e', policy: string) => {
    const raw = structuredClone(rawWebhook(key));
    for (const w of raw.webhooks as RawObject[]) w.reinvocationPolicy = policy;
    return webhookConfigurationRecord(raw);
  };
  const configMaps = [injectorConfigMap({ values: { tag: '1.28.0' } }), injectorConfigMap({ revision: 'canary', values: { tag: '1.28.0' } })];
  const namespaces = [ns('inj', { 'istio-injection': 'enabled' })];

  it.each<[string, string, string]>([
    ['Never', 'Never', 'default'],
    ['IfNeeded', 'Never', 'canary'],
    ['Never', 'IfNeeded', 'default'],
    ['IfNeeded', 'IfNeeded', 'canary'],
  ])('first (istio-revision-tag-default -> canary) %s, second (istio-sidecar-injector) %s -> %s', (first, second, revision) => {
    // Configurations are called in name order: istio-revision-tag-default, then istio-sidecar-injector.
    const ctx = context({ webhookConfigurations: [withPolicy('e', first), withPolicy('a', second)], configMaps, namespaces });
    const d = decide(ctx, pod({ namespace: 'inj' }));
    expect(d.injecting.map((m) => m.hook.revision)).toEqual(['canary', 'default']);
    // The last one called is default's; an IfNeeded webhook called before a change is called again and renders last.
    expect(d.revision).toBe(revision);
    expect(d.renderer?.hook.revision).toBe(revision);
  });
});

describe('smaller points (section 7)', () => {
  it('IST0123 is not reported for istio-system', () => {
    const ctx = world({ namespaces: [ns('istio-system', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }), ns('apps', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' })] });
    expect(codes(auditNamespace(ctx, 'istio-system').findings)).not.toContain('ConflictingLabels');
    expect(codes(auditNamespace(ctx, 'apps').findings)).toContain('ConflictingLabels');
  });

  it('ambient.istio.io/redirection: enabled is mode ambient; pending is capture in progress', () => {
    const ctx = world();
    expect(auditPod(ctx, pod({ namespace: 'plain', annotations: { 'ambient.istio.io/redirection': 'enabled' } })).actual).toMatchObject({ mode: 'ambient', ambient: true });
    const pending = auditPod(ctx, pod({ namespace: 'plain', annotations: { 'ambient.istio.io/redirection': 'pending' } })).actual;
    expect(pending).toMatchObject({ mode: 'none', ambient: false, ambientPending: true });
  });

  it('StaleTemplate also counts changes of the mesh ConfigMap', () => {
    const mesh = (lastChange: string | null) => ({ ...meshConfigMap('defaultConfig: {}\n'), lastChange });
    const created = '2026-06-01T00:00:00Z';
    const at = (lastChange: string | null) =>
      auditPod(
        context({ webhookConfigurations: [webhookConfig('a')], configMaps: [injectorConfigMap({ values: { tag: '1.28.0' }, lastChange: '2026-01-01T00:00:00Z' }), mesh(lastChange)], namespaces: [ns('inj', { 'istio-injection': 'enabled' })] }),
        injectedPod('default', { namespace: 'inj', creationTimestamp: created }, { image: CURRENT }),
      ).drift;
    expect(at('2026-01-01T00:00:00Z')).toEqual([]);
    expect(at('2026-07-01T00:00:00Z')).toEqual(['StaleTemplate']);
  });
});

describe('InvalidInjectValue says what this istiod does, and warns of the 1.27 flip', () => {
  const at = (tag: string) =>
    context({ webhookConfigurations: [webhookConfig('a')], configMaps: [injectorConfigMap({ values: { tag } })], namespaces: [ns('inj', { 'istio-injection': 'enabled' })] });

  it.each<[string, string, boolean, RegExp]>([
    ['1.26.2', 'no', false, /istiod default \(istiod 1\.26\.2 \(pre-1\.27 rules\)\) reads it as an explicit opt-out; upgrading istiod to 1\.27 or later changes this: it becomes unset/],
    ['1.28.0', 'no', true, /treats it as unset: its policy and selectors decide; istiod before 1\.27 read it as opt-out/],
    ['1.26.2', 'yes', true, /reads it as an explicit opt-in; upgrading istiod to 1\.27 or later changes this/],
    ['1.28.0', 'yes', true, /treats it as unset/],
  ])('istiod %s, label %j: inject %s', (tag, value, inject, message) => {
    const ctx = at(tag);
    const p = pod({ namespace: 'inj', labels: { 'sidecar.istio.io/inject': value } });
    expect(decide(ctx, p).inject).toBe(inject);
    const f = auditPod(ctx, p).findings.find((x) => x.code === 'InvalidInjectValue')!;
    expect(f.message).toMatch(message);
  });

  it('the report shows each injector\'s version and rules', () => {
    const b = new ReportBuilder(at('1.26.2'), { namespaces: [], source: { type: 'snapshot', partial: false, warnings: [] } });
    expect(b.build().injectors[0]).toMatchObject({ version: '1.26.2', rules: 'istiod 1.26.2 (pre-1.27 rules)', versionSource: 'values global.tag of istio-system/istio-sidecar-injector', remote: false });
  });
});

describe('records keep what the rules read', () => {
  it('istio-proxy args: only a non-sidecar role is kept', () => {
    const p = podRecord({ kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'istio-proxy', image: 'i', args: ['proxy', 'router'] }, { name: 'app', image: 'a', args: ['proxy', 'router'] }] } });
    expect(p.containers[0]!.proxyRole).toBe('router');
    expect(p.containers[1]!.proxyRole).toBeUndefined();
    expect(podRecord({ kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'istio-proxy', image: 'i', args: ['proxy', 'sidecar'] }] } }).containers[0]!.proxyRole).toBeUndefined();
  });

  it('validated annotations are kept (traffic., status., readiness., prometheus.istio.io)', () => {
    const annotations = {
      'traffic.sidecar.istio.io/excludeOutboundPorts': '1',
      'status.sidecar.istio.io/port': '2',
      'readiness.status.sidecar.istio.io/periodSeconds': '3',
      'prometheus.istio.io/merge-metrics': 'false',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    };
    const p = podRecord({ kind: 'Pod', metadata: { name: 'x', annotations }, spec: {} });
    expect(Object.keys(p.annotations).sort()).toEqual(['prometheus.istio.io/merge-metrics', 'readiness.status.sidecar.istio.io/periodSeconds', 'status.sidecar.istio.io/port', 'traffic.sidecar.istio.io/excludeOutboundPorts']);
  });

  it('a workload template keeps them too', () => {
    const w = workloadRecord({ kind: 'Deployment', metadata: { name: 'd', namespace: 'n' }, spec: { template: { metadata: { annotations: { 'sidecar.istio.io/interceptionMode': 'x' } }, spec: {} } } });
    expect(w.template.annotations).toEqual({ 'sidecar.istio.io/interceptionMode': 'x' });
  });
});

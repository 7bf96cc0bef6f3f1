// One pod: every drift code and every pod finding of the kubectl-inject contract (the contract's rules
// quoted in the test names).
import { describe, expect, it } from 'vitest';
import { configMapRecord, podRecord, webhookConfigurationRecord } from '../../src/cluster/records.js';
import type { ClusterContext } from '../../src/engine/cluster-context.js';
import { auditPod } from '../../src/engine/pod-audit.js';
import type { ClusterState, PodRecord, WebhookConfigurationRecord } from '../../src/engine/types.js';
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
  proxyConfig,
  rawWebhook,
  statusAnnotation,
  webhookConfig,
  workload,
} from './helpers.js';

const T0 = '2024-01-01T00:00:00Z'; // when the control plane was last changed
const CREATED = '2024-06-01T00:00:00Z'; // when the pods were created
const LATER = '2024-07-01T00:00:00Z';

const DEFAULT_IMAGE = 'docker.io/istio/proxyv2:1.28.0';
const CANARY_IMAGE = 'docker.io/istio/proxyv2:1.25.0';

interface WorldOptions {
  webhooks?: WebhookConfigurationRecord[];
  defaultChange?: string;
  canaryChange?: string;
  extra?: Partial<ClusterState>;
}

function world(opts: WorldOptions = {}): ClusterContext {
  return context({
    webhookConfigurations: opts.webhooks ?? [webhookConfig('a', T0), webhookConfig('c', T0), webhookConfig('d', T0)],
    configMaps: [
      injectorConfigMap({ revision: '', lastChange: opts.defaultChange ?? T0 }),
      injectorConfigMap({ revision: 'canary', values: { tag: '1.25.0' }, lastChange: opts.canaryChange ?? T0 }),
      meshConfigMap('defaultConfig: {}\n'),
    ],
    namespaces: [
      ns('inj', { 'istio-injection': 'enabled' }),
      ns('plain', {}),
      ns('off', { 'istio-injection': 'disabled' }),
      ns('canary', { 'istio.io/rev': 'canary' }),
      ns('prod', { 'istio.io/rev': 'prod' }),
      ns('distroless', { 'istio-injection': 'enabled' }),
    ],
    proxyConfigs: [proxyConfig('distroless', 'ns-wide', null, 'distroless'), proxyConfig('distroless', 'debug-app', { app: 'dbg' }, 'debug')],
    ...opts.extra,
  });
}

const BASE = world();
const INJ = 'sidecar.istio.io/inject';

describe('drift codes', () => {
  // [name, pod, expected drift]
  it.each<[string, PodRecord, string[]]>([
    // MissingSidecar: "the decision says inject, and the pod never went through the injector (no proxy, no
    // sidecar.istio.io/status); a pod injected with a template that adds no proxy ... is not missing anything"
    ['MissingSidecar: istio-injection=enabled, no proxy', pod({ namespace: 'inj' }), ['MissingSidecar']],
    ['MissingSidecar: istio.io/rev=canary, no proxy', pod({ namespace: 'canary' }), ['MissingSidecar']],
    ['MissingSidecar: istio.io/rev=prod (tag), no proxy', pod({ namespace: 'prod' }), ['MissingSidecar']],
    ['MissingSidecar: pod label inject=true in an unlabelled namespace', pod({ namespace: 'plain', labels: { [INJ]: 'true' } }), ['MissingSidecar']],
    ['not MissingSidecar: the injector would skip it (annotation false)', pod({ namespace: 'inj', annotations: { [INJ]: 'false' } }), []],
    ['not MissingSidecar: unlabelled namespace', pod({ namespace: 'plain' }), []],
    ['not MissingSidecar: istio-injection=disabled', pod({ namespace: 'off' }), []],
    [
      'not MissingSidecar: a custom template went through the injector and added no proxy',
      pod({ namespace: 'inj', annotations: { 'inject.istio.io/templates': 'custom', 'sidecar.istio.io/status': JSON.stringify({ initContainers: null, containers: ['app'], volumes: ['x'], imagePullSecrets: null, revision: 'default' }) } }),
      [],
    ],
    [
      'not MissingSidecar: proxyless gRPC (grpc-simple) went through the injector',
      pod({ namespace: 'inj', annotations: { 'inject.istio.io/templates': 'grpc-simple', 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['grpc-bootstrap-init'], containers: null, volumes: [], imagePullSecrets: null, revision: 'default' }) } }),
      [],
    ],
    // UnexpectedSidecar: "the decision says skip, the pod has an automatically injected proxy"
    ['UnexpectedSidecar: unlabelled namespace', injectedPod('default', { namespace: 'plain' }), ['UnexpectedSidecar']],
    ['UnexpectedSidecar: istio-injection=disabled', injectedPod('default', { namespace: 'off' }), ['UnexpectedSidecar']],
    ['UnexpectedSidecar: annotation inject=false now', injectedPod('default', { namespace: 'inj', annotations: { [INJ]: 'false' } }), ['UnexpectedSidecar']],
    ['UnexpectedSidecar: native sidecar', injectedPod('default', { namespace: 'plain' }, { native: true }), ['UnexpectedSidecar']],
    ['not UnexpectedSidecar: a manual proxy (no status) is not automatic', pod({ namespace: 'plain', containers: [APP, classicProxy()] }), []],
    // RevisionMismatch: "injected, but by another revision than the one that would inject it now"
    ['RevisionMismatch: default-injected pod in a canary namespace', injectedPod('default', { namespace: 'canary' }), ['RevisionMismatch']],
    ['RevisionMismatch: canary-injected pod in an istio-injection=enabled namespace', injectedPod('canary', { namespace: 'inj' }, { image: CANARY_IMAGE }), ['RevisionMismatch']],
    ['RevisionMismatch: pod label istio.io/rev=canary now, injected by default', injectedPod('default', { namespace: 'plain', labels: { 'istio.io/rev': 'canary' } }), ['RevisionMismatch']],
    ['no RevisionMismatch: canary pod in a canary namespace', injectedPod('canary', { namespace: 'canary' }, { image: CANARY_IMAGE }), []],
    ['no RevisionMismatch: tag prod resolves to canary', injectedPod('canary', { namespace: 'prod' }, { image: CANARY_IMAGE }), []],
    ['no drift: default pod in an enabled namespace', injectedPod('default', { namespace: 'inj' }), []],
    ['no drift: native default pod', injectedPod('default', { namespace: 'inj' }, { native: true }), []],
    // ProxyImageMismatch: "the proxy image differs from the image its injector is configured with now, image
    // variants (distroless, debug) taken into account ...; pods that pin sidecar.istio.io/proxyImage are exempt"
    ['ProxyImageMismatch: older proxy', injectedPod('default', { namespace: 'inj' }, { image: 'docker.io/istio/proxyv2:1.23.0' }), ['ProxyImageMismatch']],
    ['ProxyImageMismatch: native sidecar, older proxy', injectedPod('default', { namespace: 'inj' }, { image: 'docker.io/istio/proxyv2:1.23.0', native: true }), ['ProxyImageMismatch']],
    ['ProxyImageMismatch: other hub', injectedPod('default', { namespace: 'inj' }, { image: 'gcr.io/istio-release/proxyv2:1.28.0' }), ['ProxyImageMismatch']],
    ['ProxyImageMismatch: compared with the injector of its own revision', injectedPod('canary', { namespace: 'canary' }, { image: DEFAULT_IMAGE }), ['ProxyImageMismatch']],
    ['pinned sidecar.istio.io/proxyImage is exempt', injectedPod('default', { namespace: 'inj', annotations: { 'sidecar.istio.io/proxyImage': 'example.com/custom-proxy:7' } }, { image: 'example.com/custom-proxy:7' }), []],
    ['pinned image is exempt even when it differs from the annotation', injectedPod('default', { namespace: 'inj', annotations: { 'sidecar.istio.io/proxyImage': 'example.com/custom-proxy:7' } }, { image: 'docker.io/istio/proxyv2:1.20.0' }), []],
    ['namespace ProxyConfig distroless: -distroless image is current', injectedPod('default', { namespace: 'distroless' }, { image: `${DEFAULT_IMAGE}-distroless` }), []],
    ['namespace ProxyConfig distroless: plain image would change', injectedPod('default', { namespace: 'distroless' }, { image: DEFAULT_IMAGE }), ['ProxyImageMismatch']],
    ['workload ProxyConfig debug beats the namespace one', injectedPod('default', { namespace: 'distroless', labels: { app: 'dbg' } }, { image: `${DEFAULT_IMAGE}-debug` }), []],
    ['workload ProxyConfig debug: distroless image would change', injectedPod('default', { namespace: 'distroless', labels: { app: 'dbg' } }, { image: `${DEFAULT_IMAGE}-distroless` }), ['ProxyImageMismatch']],
    ['annotation proxyImageType debug: -debug image is current', injectedPod('default', { namespace: 'inj', annotations: { 'sidecar.istio.io/proxyImageType': 'debug' } }, { image: `${DEFAULT_IMAGE}-debug` }), []],
    ['annotation proxyImageType debug: plain image would change', injectedPod('default', { namespace: 'inj', annotations: { 'sidecar.istio.io/proxyImageType': 'debug' } }, { image: DEFAULT_IMAGE }), ['ProxyImageMismatch']],
    ['annotation proxyImageType default beats the namespace ProxyConfig', injectedPod('default', { namespace: 'distroless', annotations: { 'sidecar.istio.io/proxyImageType': 'default' } }, { image: DEFAULT_IMAGE }), []],
    ['a distroless image where none is configured would change', injectedPod('default', { namespace: 'inj' }, { image: `${DEFAULT_IMAGE}-distroless` }), ['ProxyImageMismatch']],
  ])('%s', (_name, p, drift) => {
    const audit = auditPod(BASE, { ...p, creationTimestamp: p.creationTimestamp ?? CREATED });
    expect([...audit.drift].sort()).toEqual([...drift].sort());
  });

  it('global.variant is taken into account', () => {
    const ctx = context({
      webhookConfigurations: [webhookConfig('a', T0)],
      configMaps: [injectorConfigMap({ values: { variant: 'distroless' }, lastChange: T0 })],
      namespaces: [ns('inj', { 'istio-injection': 'enabled' })],
    });
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj' }, { image: `${DEFAULT_IMAGE}-distroless` })).drift).toEqual([]);
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj' }, { image: DEFAULT_IMAGE })).drift).toEqual(['ProxyImageMismatch']);
  });

  it('mesh defaultConfig.image.imageType is taken into account', () => {
    const ctx = context({
      webhookConfigurations: [webhookConfig('a', T0)],
      configMaps: [injectorConfigMap({ values: { variant: 'distroless' }, lastChange: T0 }), meshConfigMap('defaultConfig:\n  image:\n    imageType: default\n')],
      namespaces: [ns('inj', { 'istio-injection': 'enabled' })],
    });
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj' }, { image: DEFAULT_IMAGE })).drift).toEqual([]);
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj' }, { image: `${DEFAULT_IMAGE}-distroless` })).drift).toEqual(['ProxyImageMismatch']);
  });

  it('an absolute global.proxy.image is compared verbatim', () => {
    const ctx = context({
      webhookConfigurations: [webhookConfig('a', T0)],
      configMaps: [injectorConfigMap({ values: { proxyImage: 'registry.example.com/mesh/proxy:9', variant: 'distroless' }, lastChange: T0 })],
      namespaces: [ns('inj', { 'istio-injection': 'enabled' })],
    });
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj' }, { image: 'registry.example.com/mesh/proxy:9' })).drift).toEqual([]);
    expect(auditPod(ctx, injectedPod('default', { namespace: 'inj' }, { image: DEFAULT_IMAGE })).drift).toEqual(['ProxyImageMismatch']);
  });
});

describe('StaleTemplate: "the injector\'s ConfigMap or webhook configuration changed after the pod was created"', () => {
  it.each<[string, WorldOptions, PodRecord, string[]]>([
    ['ConfigMap changed after creation', { defaultChange: LATER }, injectedPod('default', { namespace: 'inj' }), ['StaleTemplate']],
    ['ConfigMap changed before creation', { defaultChange: T0 }, injectedPod('default', { namespace: 'inj' }), []],
    ['ConfigMap changed at the creation instant', { defaultChange: CREATED }, injectedPod('default', { namespace: 'inj' }), []],
    ['the webhook configuration routing the pod changed after creation', { webhooks: [webhookConfig('a', LATER), webhookConfig('c', T0)] }, injectedPod('default', { namespace: 'inj' }), ['StaleTemplate']],
    ['another revision\'s ConfigMap changed', { canaryChange: LATER }, injectedPod('default', { namespace: 'inj' }), []],
    ['another revision\'s webhook configuration changed', { webhooks: [webhookConfig('a', T0), webhookConfig('c', LATER)] }, injectedPod('default', { namespace: 'inj' }), []],
    ['canary ConfigMap changed, canary pod', { canaryChange: LATER }, injectedPod('canary', { namespace: 'canary' }, { image: CANARY_IMAGE }), ['StaleTemplate']],
    ['the tag configuration routing the pod changed', { webhooks: [webhookConfig('a', T0), webhookConfig('c', T0), webhookConfig('d', LATER)] }, injectedPod('canary', { namespace: 'prod' }, { image: CANARY_IMAGE }), ['StaleTemplate']],
    ['pods that are not injected are not stale', { defaultChange: LATER }, pod({ namespace: 'plain' }), []],
    ['a pod the decision skips is unexpected, not stale', { defaultChange: LATER }, injectedPod('default', { namespace: 'plain' }), ['UnexpectedSidecar']],
    [
      'several drifts at once',
      { defaultChange: LATER },
      injectedPod('default', { namespace: 'canary' }, { image: 'docker.io/istio/proxyv2:1.23.0' }),
      ['ProxyImageMismatch', 'RevisionMismatch', 'StaleTemplate'],
    ],
  ])('%s', (_name, opts, p, drift) => {
    const audit = auditPod(world(opts), { ...p, creationTimestamp: CREATED });
    expect([...audit.drift].sort()).toEqual(drift);
  });

  it('a pod without creationTimestamp is never stale', () => {
    expect(auditPod(world({ defaultChange: LATER }), injectedPod('default', { namespace: 'inj', creationTimestamp: null })).drift).toEqual([]);
  });

  describe('from managedFields of the raw objects', () => {
    const rawPod = (created: string) =>
      podRecord({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'web-1',
          namespace: 'inj',
          creationTimestamp: created,
          annotations: { 'sidecar.istio.io/status': statusAnnotation({ revision: 'default' }), 'istio.io/rev': 'default', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        },
        spec: { containers: [{ name: 'app', image: 'example.com/app:1' }, { name: 'istio-proxy', image: DEFAULT_IMAGE }], initContainers: [{ name: 'istio-init', image: DEFAULT_IMAGE }] },
      });
    const rawCM = (times: string[]) =>
      configMapRecord({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'istio-sidecar-injector',
          namespace: 'istio-system',
          creationTimestamp: '2023-01-01T00:00:00Z',
          managedFields: times.map((time) => ({ manager: 'helm', operation: 'Update', time, fieldsV1: { 'f:data': { 'f:values': {} } } })),
        },
        data: injectorConfigMap().data,
      });
    const mwcWith = (entries: { time: string; fieldsV1: unknown }[]) => {
      const raw = rawWebhook('a');
      raw.metadata.creationTimestamp = '2023-01-01T00:00:00Z';
      raw.metadata.managedFields = entries.map((e) => ({ manager: 'x', operation: 'Update', ...e }));
      return webhookConfigurationRecord(raw);
    };
    const ctxWith = (cm: ReturnType<typeof rawCM>, mwc: WebhookConfigurationRecord) =>
      context({ webhookConfigurations: [mwc], configMaps: [cm], namespaces: [ns('inj', { 'istio-injection': 'enabled' })] });
    const selectorChange = { 'f:webhooks': { 'k:{"name":"namespace.sidecar-injector.istio.io"}': { 'f:namespaceSelector': {} } } };
    const caBundleOnly = { 'f:webhooks': { 'k:{"name":"namespace.sidecar-injector.istio.io"}': { '.': {}, 'f:clientConfig': { 'f:caBundle': {} } } } };

    it.each<[string, string[], { time: string; fieldsV1: unknown }[], string[]]>([
      ['ConfigMap managedFields newest time after creation', ['2024-02-01T00:00:00Z', LATER], [], ['StaleTemplate']],
      ['ConfigMap managedFields all before creation', ['2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'], [], []],
      ['webhook selectors changed after creation', [T0], [{ time: LATER, fieldsV1: selectorChange }], ['StaleTemplate']],
      ['webhook caBundle rotated by istiod after creation (no injection rule changed)', [T0], [{ time: LATER, fieldsV1: caBundleOnly }], []],
      ['webhook caBundle rotated, but selectors changed too', [T0], [{ time: LATER, fieldsV1: caBundleOnly }, { time: LATER, fieldsV1: selectorChange }], ['StaleTemplate']],
    ])('%s', (_name, cmTimes, mwcEntries, drift) => {
      const audit = auditPod(ctxWith(rawCM(cmTimes), mwcWith(mwcEntries)), rawPod(CREATED));
      expect(audit.drift).toEqual(drift);
    });
  });
});

describe('pod findings', () => {
  const proxyTemplate = workload('Deployment', 'manual', { containers: [APP, classicProxy()], initContainers: [ISTIO_INIT], annotations: { 'sidecar.istio.io/status': statusAnnotation({ revision: 'default' }) } }, 'inj');
  // The same kube-injected template where no webhook injects (istio-fidelity.md section 4: only then is it manual).
  const plainTemplate = { ...proxyTemplate, namespace: 'plain', template: { ...proxyTemplate.template, namespace: 'plain' } };
  const manualWorld = world({ extra: { workloads: [proxyTemplate, plainTemplate] } });

  // [name, context, pod, expected finding codes]
  it.each<[string, ClusterContext, PodRecord, string[]]>([
    ['none for a plain injected pod', BASE, injectedPod('default', { namespace: 'inj' }), []],
    ['none for a plain pod outside the mesh', BASE, pod({ namespace: 'plain' }), []],
    // UnknownRevision: "istio.io/rev names no revision or tag that any webhook serves"
    ['UnknownRevision: pod label istio.io/rev=nope', BASE, pod({ namespace: 'plain', labels: { 'istio.io/rev': 'nope' } }), ['UnknownRevision']],
    ['no UnknownRevision: pod label istio.io/rev=prod is a tag', BASE, pod({ namespace: 'plain', labels: { 'istio.io/rev': 'prod' } }), []],
    ['no UnknownRevision on the pod when the namespace decides (istio-injection)', BASE, pod({ namespace: 'inj', labels: { 'istio.io/rev': 'nope' } }), []],
    ['no UnknownRevision on the pod when the namespace decides (istio.io/rev)', BASE, pod({ namespace: 'canary', labels: { 'istio.io/rev': 'nope' } }), []],
    // MultipleInjectors: "more than one webhook would inject the same pod"
    ['MultipleInjectors: default MWC and tag default both inject', world({ webhooks: [webhookConfig('a', T0), webhookConfig('e', T0)] }), pod({ namespace: 'inj' }), ['MultipleInjectors']],
    ['no MultipleInjectors once the old default is deactivated', world({ webhooks: [webhookConfigurationRecord(deactivateRaw('a')), webhookConfig('e', T0)] }), pod({ namespace: 'inj' }), []],
    // ManualSidecar: "the proxy comes from the workload template itself"
    ['ManualSidecar: the Deployment template carries istio-proxy and no webhook injects', manualWorld, injectedPod('default', { namespace: 'plain', owner: { kind: 'ReplicaSet', name: 'manual-5d8f7' }, labels: { 'pod-template-hash': '5d8f7' } }), ['ManualSidecar']],
    // Was ManualSidecar before the reference's re-injection rule: the webhook re-injects a kube-injected template.
    ['no ManualSidecar: the Deployment template carries istio-proxy but the webhook re-injects it', manualWorld, injectedPod('default', { namespace: 'inj', owner: { kind: 'ReplicaSet', name: 'manual-5d8f7' }, labels: { 'pod-template-hash': '5d8f7' } }), []],
    ['ManualSidecar: a bare pod with istio-proxy and no status', BASE, pod({ namespace: 'plain', containers: [APP, classicProxy()] }), ['ManualSidecar']],
    // InvalidInjectValue: "sidecar.istio.io/inject is neither "true" nor "false""
    ['InvalidInjectValue: annotation "yes"', BASE, pod({ namespace: 'plain', annotations: { [INJ]: 'yes' } }), ['InvalidInjectValue']],
    ['InvalidInjectValue: annotation "True"', BASE, pod({ namespace: 'plain', annotations: { [INJ]: 'True' } }), ['InvalidInjectValue']],
    ['InvalidInjectValue: annotation "on"', BASE, pod({ namespace: 'plain', annotations: { [INJ]: 'on' } }), ['InvalidInjectValue']],
    ['InvalidInjectValue: label "enabled"', BASE, pod({ namespace: 'plain', labels: { [INJ]: 'enabled' } }), ['InvalidInjectValue']],
    ['InvalidInjectValue: annotation "" (logged as invalid by Istio)', BASE, pod({ namespace: 'plain', annotations: { [INJ]: '' } }), ['InvalidInjectValue']],
    ['InvalidInjectValue: label "" alone', BASE, pod({ namespace: 'plain', labels: { [INJ]: '' } }), ['InvalidInjectValue']],
    ['no InvalidInjectValue: annotation "true"', BASE, pod({ namespace: 'plain', annotations: { [INJ]: 'true' } }), []],
    ['no InvalidInjectValue: label "false"', BASE, pod({ namespace: 'plain', labels: { [INJ]: 'false' } }), []],
    // LabelOverridesAnnotation: "label and annotation sidecar.istio.io/inject disagree; the label wins"
    ['LabelOverridesAnnotation: label false, annotation true', BASE, pod({ namespace: 'inj', labels: { [INJ]: 'false' }, annotations: { [INJ]: 'true' } }), ['LabelOverridesAnnotation']],
    ['LabelOverridesAnnotation: label true, annotation false', BASE, pod({ namespace: 'plain', labels: { [INJ]: 'true' }, annotations: { [INJ]: 'false' } }), ['LabelOverridesAnnotation']],
    ['no LabelOverridesAnnotation when they agree', BASE, pod({ namespace: 'plain', labels: { [INJ]: 'true' }, annotations: { [INJ]: 'true' } }), []],
    // ProxyCPUWithoutLimit / ProxyMemoryWithoutLimit: "the request annotation without the limit one"
    ['ProxyCPUWithoutLimit', BASE, pod({ namespace: 'plain', annotations: { 'sidecar.istio.io/proxyCPU': '100m' } }), ['ProxyCPUWithoutLimit']],
    ['ProxyMemoryWithoutLimit', BASE, pod({ namespace: 'plain', annotations: { 'sidecar.istio.io/proxyMemory': '128Mi' } }), ['ProxyMemoryWithoutLimit']],
    ['both requests without limits', BASE, pod({ namespace: 'plain', annotations: { 'sidecar.istio.io/proxyCPU': '100m', 'sidecar.istio.io/proxyMemory': '128Mi' } }), ['ProxyCPUWithoutLimit', 'ProxyMemoryWithoutLimit']],
    ['CPU request with its limit', BASE, pod({ namespace: 'plain', annotations: { 'sidecar.istio.io/proxyCPU': '100m', 'sidecar.istio.io/proxyCPULimit': '1' } }), []],
    ['memory request with its limit, CPU request without', BASE, pod({ namespace: 'plain', annotations: { 'sidecar.istio.io/proxyMemory': '1Gi', 'sidecar.istio.io/proxyMemoryLimit': '1Gi', 'sidecar.istio.io/proxyCPU': '1' } }), ['ProxyCPUWithoutLimit']],
    ['limits only', BASE, pod({ namespace: 'plain', annotations: { 'sidecar.istio.io/proxyCPULimit': '1', 'sidecar.istio.io/proxyMemoryLimit': '1Gi' } }), []],
    // HostNetwork: "never injected"
    ['HostNetwork: in an injection-enabled namespace', BASE, pod({ namespace: 'inj', hostNetwork: true }), ['HostNetwork']],
    ['HostNetwork: pod label inject=true', BASE, pod({ namespace: 'plain', hostNetwork: true, labels: { [INJ]: 'true' } }), ['HostNetwork']],
    // Malformed status annotation.
    ['InvalidStatusAnnotation', BASE, pod({ namespace: 'inj', containers: [APP, classicProxy()], annotations: { 'sidecar.istio.io/status': '{broken' } }), ['InvalidStatusAnnotation']],
  ])('%s', (_name, ctx, p, expected) => {
    expect(codes(auditPod(ctx, p).findings)).toEqual(expected);
  });

  it('LabelOverridesAnnotation: label "" replaces annotation "false"', () => {
    const audit = auditPod(BASE, pod({ namespace: 'inj', labels: { [INJ]: '' }, annotations: { [INJ]: 'false' } }));
    expect(codes(audit.findings)).toContain('LabelOverridesAnnotation');
    expect(audit.desired.inject).toBe(true);
  });

  it('HostNetwork pods are never injected and do not drift', () => {
    const audit = auditPod(BASE, pod({ namespace: 'inj', hostNetwork: true }));
    expect(audit.desired.inject).toBe(false);
    expect(audit.drift).toEqual([]);
    expect(audit.findings.find((f) => f.code === 'HostNetwork')?.severity).toBe('info');
  });

  it('ManualSidecar pods do not drift: a restart does not change them', () => {
    const p = injectedPod('default', { namespace: 'plain', owner: { kind: 'ReplicaSet', name: 'manual-5d8f7' }, labels: { 'pod-template-hash': '5d8f7' } }, { image: 'docker.io/istio/proxyv2:1.10.0' });
    const ctx = world({ extra: { workloads: [{ ...proxyTemplate, namespace: 'plain', template: { ...proxyTemplate.template, namespace: 'plain' } }] } });
    const audit = auditPod(ctx, p);
    expect(audit.drift).toEqual([]);
    expect(audit.actual.manual).toBe(true);
    expect(audit.actual.viaInjector).toBe(false);
    expect(audit.workload).toEqual({ kind: 'Deployment', name: 'manual' });
  });

  it('MultipleInjectors names every injecting webhook; the last one called decides the revision', () => {
    const audit = auditPod(world({ webhooks: [webhookConfig('a', T0), webhookConfig('e', T0)] }), pod({ namespace: 'inj' }));
    const f = audit.findings.find((x) => x.code === 'MultipleInjectors')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain('istio-revision-tag-default');
    expect(f.message).toContain('istio-sidecar-injector');
    expect(f.message).toContain('revision default ends up in the pod');
    expect(audit.desired.revision).toBe('default');
  });
});

describe('the audit record (contract fields)', () => {
  it('desired and actual of an injected pod owned by a Deployment', () => {
    const p = injectedPod('default', { namespace: 'canary', owner: { kind: 'ReplicaSet', name: 'web-7d9c5b8f6' }, labels: { 'pod-template-hash': '7d9c5b8f6' } }, { native: true });
    const audit = auditPod(BASE, p);
    expect(audit.namespace).toBe('canary');
    expect(audit.name).toBe('web-7d9c5b8f6-abcde');
    expect(audit.workload).toEqual({ kind: 'Deployment', name: 'web' });
    expect(audit.desired).toMatchObject({ inject: true, revision: 'canary' });
    expect(audit.desired.reason).toContain('istio-sidecar-injector-canary');
    expect(audit.actual).toMatchObject({ injected: true, revision: 'default', image: DEFAULT_IMAGE, mode: 'native-sidecar', viaInjector: true });
    expect(audit.drift).toEqual(['RevisionMismatch']);
  });

  it('a pod outside the mesh', () => {
    const audit = auditPod(BASE, pod({ namespace: 'plain' }));
    expect(audit.desired).toMatchObject({ inject: false, revision: null });
    expect(audit.actual).toMatchObject({ injected: false, revision: null, image: null, mode: 'none', viaInjector: false });
    expect(audit.workload).toBeNull();
  });
});

function deactivateRaw(key: 'a') {
  const raw = rawWebhook(key);
  for (const w of raw.webhooks) {
    w.namespaceSelector = { matchLabels: { 'istio.io/deactivated': 'never-match' } };
    w.objectSelector = { matchLabels: { 'istio.io/deactivated': 'never-match' } };
  }
  return raw;
}

// Upstream: istio/istio pkg/kube/inject/inject_test.go
// - TestProxyImage (every row): the proxy image ProxyImage/imageURL/updateImageTypeIfPresent resolve from
//   values (hub, tag), a ProxyConfig image type and the sidecar.istio.io/proxyImageType annotation.
// - TestMultipleInjectionTemplates and TestStrategicMerge: which templates a pod gets (annotation
//   inject.istio.io/templates, aliases) and whether they add a proxy.
// - TestInjection, the rows whose input or golden output (pkg/kube/inject/testdata/inject/, abridged copies in
//   test/fixtures/upstream/inject and test/fixtures/istio/pods) decide or show injection: proxyImageName,
//   hello-host-network-with-ns, hello-ignore, native-sidecar-opt-in/-opt-out, the opt-in/opt-out inputs run
//   with opt-in-injection.iop.yaml, proxy-override and gateway (templates that carry `istio-proxy` with
//   `image: auto`). The rest of TestInjection is about rendering (probes, env, CNI args, ...), not the decision.
import { describe, expect, it } from 'vitest';
import { configMapRecord, podRecord, type RawObject } from '../../../src/cluster/records.js';
import { buildClusterContext } from '../../../src/engine/cluster-context.js';
import { decide } from '../../../src/engine/decision.js';
import { parseInjectorConfig, parseMeshConfig, templatesAddProxy, templatesFor, type InjectorConfig } from '../../../src/engine/injector-config.js';
import { injectRequired } from '../../../src/engine/injector-policy.js';
import { auditPod } from '../../../src/engine/pod-audit.js';
import { effectiveImageType, expectedProxyImage } from '../../../src/engine/proxy-image.js';
import { detectActual, findProxy, parseStatusAnnotation } from '../../../src/engine/sidecar-detection.js';
import type { Labels, ProxyConfigRecord } from '../../../src/engine/types.js';
import { codes, injectorConfigMap, SIDECAR_TEMPLATE, WEBHOOK_FILES } from '../helpers.js';
import { istioObjects, namespaceObject, only, podFromTemplate, stateOf, upstreamObjects } from './support.js';

/** An injector whose `values` JSON is exactly `values` (config: policy enabled). */
function injectorWithValues(values: unknown): InjectorConfig {
  return parseInjectorConfig(
    { namespace: 'istio-system', name: 'istio-sidecar-injector', labels: {}, data: { config: 'policy: enabled', values: JSON.stringify(values) }, lastChange: null },
    'default',
  );
}

describe('TestProxyImage', () => {
  // [desc, hub, tag (string or number, as upstream builds the structpb value), ProxyConfig imageType, annotation imageType, want]
  const rows: [string, string, string | number, string | undefined, string | undefined, string][] = [
    ['vals-only-int-tag', 'docker.io/istio', 11, undefined, undefined, 'docker.io/istio/proxyv2:11'],
    ['pc overrides imageType - float tag', 'docker.io/istio', 1.12, 'distroless', undefined, 'docker.io/istio/proxyv2:1.12-distroless'],
    ['annotation overrides imageType', 'gcr.io/gke-release/asm', '1.11.2-asm.17', undefined, 'distroless', 'gcr.io/gke-release/asm/proxyv2:1.11.2-asm.17-distroless'],
    ['pc and annotation overrides imageType', 'gcr.io/gke-release/asm', '1.11.2-asm.17', 'distroless', 'debug', 'gcr.io/gke-release/asm/proxyv2:1.11.2-asm.17-debug'],
    ['pc and annotation overrides imageType, ann is default', 'gcr.io/gke-release/asm', '1.11.2-asm.17', 'debug', 'default', 'gcr.io/gke-release/asm/proxyv2:1.11.2-asm.17'],
    ['pc overrides imageType with default, tag also has image type', 'gcr.io/gke-release/asm', '1.11.2-asm.17-distroless', 'default', undefined, 'gcr.io/gke-release/asm/proxyv2:1.11.2-asm.17'],
    ['ann overrides imageType with default, tag also has image type', 'gcr.io/gke-release/asm', '1.11.2-asm.17-distroless', undefined, 'default', 'gcr.io/gke-release/asm/proxyv2:1.11.2-asm.17'],
    ['pc overrides imageType, tag also has image type', 'docker.io/istio', '1.12-debug', 'distroless', undefined, 'docker.io/istio/proxyv2:1.12-distroless'],
    ['annotation overrides imageType, tag also has the same image type', 'docker.io/istio', '1.12-distroless', undefined, 'distroless', 'docker.io/istio/proxyv2:1.12-distroless'],
    ['unusual tag should work', 'private-repo/istio', '1.12-this-is-unusual-tag', undefined, undefined, 'private-repo/istio/proxyv2:1.12-this-is-unusual-tag'],
    ['unusual tag should work, default override', 'private-repo/istio', '1.12-this-is-unusual-tag-distroless', 'default', undefined, 'private-repo/istio/proxyv2:1.12-this-is-unusual-tag'],
    ['annotation overrides imageType with unusual tag', 'private-repo/istio', '1.12-this-is-unusual-tag', undefined, 'distroless', 'private-repo/istio/proxyv2:1.12-this-is-unusual-tag-distroless'],
  ];

  it('has every upstream row', () => {
    expect(rows).toHaveLength(12);
  });

  it.each(rows)('%s', (_desc, hub, tag, pcType, annType, want) => {
    const config = injectorWithValues({ global: { hub, tag } });
    // The ProxyConfig of the row as a namespace-wide ProxyConfig resource; the annotation on the pod.
    const proxyConfigs: ProxyConfigRecord[] = pcType === undefined ? [] : [{ namespace: 'demo', name: 'pc', selector: null, imageType: pcType }];
    const annotations: Labels = annType === undefined ? {} : { 'sidecar.istio.io/proxyImageType': annType };
    const imageType = effectiveImageType('demo', {}, annotations, proxyConfigs, parseMeshConfig(undefined));
    expect(expectedProxyImage(config, annotations, imageType).image).toBe(want);
  });
});

describe('TestInjection: proxy image from values', () => {
  // Test defaults (pkg/kube/inject testdata renders): hub registry.istio.io/testing, tag latest.
  it('hello.yaml.proxyImageName.injected: values.global.proxy.image=proxyTest', () => {
    const config = injectorWithValues({ global: { hub: 'registry.istio.io/testing', tag: 'latest', proxy: { image: 'proxyTest' }, proxy_init: { image: 'proxyv2' } } });
    const image = expectedProxyImage(config, {}, effectiveImageType('default', {}, {}, [], parseMeshConfig(undefined))).image;
    expect(image).toBe('registry.istio.io/testing/proxyTest:latest');
  });

  it('hello.yaml.injected: the default image name proxyv2', () => {
    const config = injectorWithValues({ global: { hub: 'registry.istio.io/testing', tag: 'latest', proxy: { image: 'proxyv2' } } });
    const image = expectedProxyImage(config, {}, effectiveImageType('default', {}, {}, [], parseMeshConfig(undefined))).image;
    expect(image).toBe('registry.istio.io/testing/proxyv2:latest');
  });
});

describe('TestInjection: inputs that are not injected', () => {
  const enabled = parseInjectorConfig(injectorConfigMap(), 'default');

  it('hello-host-network-with-ns: "Skipping injection because Deployment sample/hello-host-network has host networking enabled"', () => {
    const input = { namespace: 'sample', hostNetwork: true, labels: { app: 'hello-host-network', tier: 'backend', track: 'stable' }, annotations: {} };
    expect(injectRequired(enabled, input).inject).toBe(false);
    // Through the webhooks: even in an injection-enabled namespace the webhook matches and istiod declines.
    const ctx = buildClusterContext(stateOf([...istioObjects(WEBHOOK_FILES.a), namespaceObject('sample', { 'istio-injection': 'enabled' })]));
    const d = decide(ctx, input);
    expect(d.inject).toBe(false);
    expect(d.matched.length).toBeGreaterThan(0);
  });

  it('hello-ignore: annotation sidecar.istio.io/inject "false", output equals input', () => {
    const deployment = only(istioObjects('pods/hello-ignore.yaml.injected'), 'Deployment');
    const template = podRecord({ metadata: { ...deployment.spec.template.metadata, namespace: 'default', name: '' }, spec: deployment.spec.template.spec });
    expect(injectRequired(enabled, template).inject).toBe(false);
    const ctx = buildClusterContext(stateOf([...istioObjects(WEBHOOK_FILES.a), namespaceObject('default', { 'istio-injection': 'enabled' })]));
    expect(decide(ctx, template).inject).toBe(false);
    expect(detectActual(template, { template: null }).actual).toMatchObject({ injected: false, mode: 'none', viaInjector: false });
  });
});

describe('TestInjection: opt-in / opt-out inputs with opt-in-injection.iop.yaml', () => {
  // neverInjectSelector [sidecar.istio.io/inject DoesNotExist], policy enabled, enableNamespacesByDefault.
  const cm = configMapRecord(only(upstreamObjects('inject/opt-in-injection.iop.yaml'), 'ConfigMap'));
  const config = parseInjectorConfig(cm, 'default');
  const deployments = upstreamObjects('inject/opt-in-opt-out.yaml').filter((o) => o.kind === 'Deployment');

  const rows: [string, boolean][] = [
    ['no-injection', false],
    ['opt-in-annotation-injection', true],
    ['opt-in-label-injection', true],
    ['opt-out-annotation-injection', false],
    ['opt-out-label-injection', false],
  ];

  it.each(rows)('%s (injectRequired)', (name, want) => {
    const d = deployments.find((o) => o.metadata.name === name)!;
    const t = d.spec.template.metadata;
    expect(injectRequired(config, { namespace: 'default', hostNetwork: false, labels: t.labels ?? {}, annotations: t.annotations ?? {} }).inject).toBe(want);
  });

  it.each(rows)('%s (through the webhooks of an enableNamespacesByDefault install, unlabelled namespace)', (name, want) => {
    const d = deployments.find((o) => o.metadata.name === name)!;
    const objects: RawObject[] = [...istioObjects(WEBHOOK_FILES.b), namespaceObject('default'), only(upstreamObjects('inject/opt-in-injection.iop.yaml'), 'ConfigMap'), podFromTemplate(name, d.spec.template, 'default')];
    const ctx = buildClusterContext(stateOf(objects));
    const pod = stateOf(objects).pods[0]!;
    expect(decide(ctx, pod).inject).toBe(want);
  });
});

describe('TestInjection: native sidecar opt-in / opt-out goldens', () => {
  it('native-sidecar-opt-in.yaml.injected: istio-proxy is an init container with restartPolicy Always', () => {
    const pod = podRecord(only(upstreamObjects('inject/native-sidecar-opt-in.yaml.injected'), 'Pod'));
    expect(findProxy(pod)).toEqual({ mode: 'native-sidecar', image: 'gcr.io/istio-testing/proxyv2:latest' });
    expect(pod.initContainers.map((c) => c.name)).toEqual(['istio-init', 'istio-proxy', 'other-sidecar']);
    const status = parseStatusAnnotation(pod.annotations['sidecar.istio.io/status']!);
    expect(status).toMatchObject({ initContainers: ['istio-init', 'istio-proxy'], containers: null, revision: 'default' });
    expect(detectActual(pod, { template: null }).actual).toMatchObject({
      injected: true,
      mode: 'native-sidecar',
      viaInjector: true,
      manual: false,
      revision: 'default',
      image: 'gcr.io/istio-testing/proxyv2:latest',
    });
  });

  it('native-sidecar-opt-out.yaml.injected: istio-proxy is a regular container', () => {
    const pod = podRecord(only(upstreamObjects('inject/native-sidecar-opt-out.yaml.injected'), 'Pod'));
    expect(findProxy(pod)).toEqual({ mode: 'sidecar', image: 'gcr.io/istio-testing/proxyv2:latest' });
    expect(detectActual(pod, { template: null }).actual).toMatchObject({ injected: true, mode: 'sidecar', viaInjector: true, manual: false, revision: 'default' });
  });
});

describe('TestInjection: templates that declare istio-proxy with image: auto go through the injector', () => {
  // The workload's own template carries a partial `istio-proxy` (image: auto) that the injector merges into
  // the proxy it adds (proxy-override) or turns into the gateway proxy (gateway). Istio's golden output is a
  // pod injected by the webhook: sidecar.istio.io/status set, the proxy image the injector's. A restart of
  // such a Deployment goes through the injector again: the proxy is not a hand-written one.
  function audit(input: RawObject, injected: RawObject, hub: string, extraTemplates: Record<string, string> = {}) {
    const objects: RawObject[] = [
      ...istioObjects(WEBHOOK_FILES.a),
      namespaceObject('demo', { 'istio-injection': 'enabled' }),
      { ...input, metadata: { ...input.metadata, namespace: 'demo' } },
      podFromTemplate(input.metadata.name, injected.spec.template, 'demo'),
    ];
    const state = stateOf(objects);
    state.configMaps.push(
      injectorConfigMap({
        values: { hub, tag: 'latest' },
        config: { templates: { sidecar: SIDECAR_TEMPLATE, ...extraTemplates } },
      }),
    );
    const ctx = buildClusterContext(state);
    return auditPod(ctx, state.pods[0]!);
  }

  it('proxy-override: a restart is injected again, nothing drifts, no ManualSidecar', () => {
    const a = audit(only(upstreamObjects('inject/proxy-override.yaml'), 'Deployment'), only(upstreamObjects('inject/proxy-override.yaml.injected'), 'Deployment'), 'gcr.io/istio-testing');
    expect(a.workload).toEqual({ kind: 'Deployment', name: 'hello' });
    expect(a.desired).toMatchObject({ inject: true, revision: 'default' });
    expect(a.actual).toMatchObject({ injected: true, mode: 'sidecar', viaInjector: true, manual: false, revision: 'default', image: 'gcr.io/istio-testing/proxyv2:latest' });
    expect(codes(a.findings)).not.toContain('ManualSidecar');
    expect(a.drift).toEqual([]);
  });

  it('gateway: the gateway template fills in image: auto; viaInjector, no ManualSidecar', () => {
    const a = audit(
      only(upstreamObjects('inject/gateway.yaml'), 'Deployment'),
      only(istioObjects('pods/gateway.yaml.injected'), 'Deployment'),
      'registry.istio.io/testing',
      { gateway: 'spec:\n  containers:\n  - name: istio-proxy\n    image: "{{ .ProxyImage }}"\n' },
    );
    expect(a.desired).toMatchObject({ inject: true, revision: 'default', templates: ['gateway'] });
    expect(a.actual).toMatchObject({ injected: true, mode: 'sidecar', viaInjector: true, manual: false, revision: 'default', image: 'registry.istio.io/testing/proxyv2:latest' });
    expect(codes(a.findings)).not.toContain('ManualSidecar');
    expect(a.drift).toEqual([]);
  });
});

describe('TestMultipleInjectionTemplates', () => {
  // Templates "sidecar" (adds istio-proxy) and "init" (adds istio-init), alias both: [sidecar, init], policy enabled.
  const cm = injectorConfigMap({
    config: {
      templates: { sidecar: 'spec:\n  containers:\n  - name: istio-proxy\n    image: proxy\n', init: 'spec:\n initContainers:\n - name: istio-init\n   image: proxy\n' },
      aliases: { both: ['sidecar', 'init'] },
    },
  });
  const config = parseInjectorConfig(cm, 'default');

  it.each([['sidecar,init'], ['both']])('inject.istio.io/templates: %s -> sidecar and init, with a proxy (istio-proxy in the output)', (value) => {
    const annotations = { 'inject.istio.io/templates': value };
    expect(injectRequired(config, { namespace: 'default', hostNetwork: false, labels: {}, annotations }).inject).toBe(true);
    expect(templatesFor(config, annotations)).toEqual(['sidecar', 'init']);
    expect(templatesAddProxy(config, templatesFor(config, annotations))).toBe(true);
  });
});

describe('TestStrategicMerge', () => {
  // The only template (the default "sidecar") adds a container named "injected": the pod goes through the
  // injector but gets no istio-proxy.
  it('a template without istio-proxy adds no proxy', () => {
    const config = parseInjectorConfig(
      injectorConfigMap({ config: { templates: { sidecar: 'metadata:\n  labels:\n    $patch: replace\n    foo: bar\nspec:\n  containers:\n  - name: injected\n    image: "fake.docker.io/google-samples/hello-go-gke:1.1"\n' } } }),
      'default',
    );
    expect(templatesFor(config, {})).toEqual(['sidecar']);
    expect(templatesAddProxy(config, ['sidecar'])).toBe(false);
  });
});

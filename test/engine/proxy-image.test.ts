// The proxy image a revision's injector gives a pod (GetIstioProxyImage, ProxyImage/imageURL,
// updateImageTypeIfPresent), and the effective ProxyConfig image type.
import { describe, expect, it } from 'vitest';
import { parseInjectorConfig, parseMeshConfig, type MeshConfig } from '../../src/engine/injector-config.js';
import { effectiveImageType, expectedProxyImage, tagWithImageType, type ImageTypeSource } from '../../src/engine/proxy-image.js';
import type { Labels, ProxyConfigRecord } from '../../src/engine/types.js';
import { fixtureConfigMaps, GOLDEN, injectorConfigMap, meshConfigMap, proxyConfig, type InjectorValues } from './helpers.js';

const NONE: ImageTypeSource = { imageType: undefined, source: 'none' };
const typed = (imageType: string): ImageTypeSource => ({ imageType, source: 'test' });

describe('tagWithImageType (updateImageTypeIfPresent)', () => {
  it.each([
    ['1.28.0', '', '1.28.0'],
    ['1.28.0-distroless', '', '1.28.0-distroless'],
    ['1.28.0', 'distroless', '1.28.0-distroless'],
    ['1.28.0', 'debug', '1.28.0-debug'],
    ['1.28.0', 'default', '1.28.0'],
    ['1.28.0-distroless', 'default', '1.28.0'],
    ['1.28.0-debug', 'default', '1.28.0'],
    ['1.28.0-distroless', 'debug', '1.28.0-debug'],
    ['1.28.0-debug', 'distroless', '1.28.0-distroless'],
    ['1.28.0-distroless', 'distroless', '1.28.0-distroless'],
    ['1.28.0-foo', 'distroless', '1.28.0-foo-distroless'],
    ['latest', 'debug', 'latest-debug'],
    ['1.28.0', 'custom', '1.28.0-custom'],
  ])('tag %j with type %j -> %j', (tag, type, expected) => {
    expect(tagWithImageType(tag, type)).toBe(expected);
  });
});

describe('GetIstioProxyImage on the reference ConfigMaps (injector README table)', () => {
  it.each([
    ['injector/sidecar-injector-configmap.yaml', 'registry.istio.io/release/proxyv2:1.3.1'],
    ['injector/sidecar-injector-enabled-nsbydefault.yaml', 'registry.istio.io/release/proxyv2:1.3.1'],
    ['injector/sidecar-injector-configmap-absolute-override.yaml', 'registry.istio.io/release/proxyv2:1.3.1'],
    ['injector/sidecar-injector-configmap-with-revision-canary.yaml', 'registry.istio.io/release/proxyv2:1.3.1'],
    [GOLDEN, 'registry.istio.io/release/proxyv2:1.1.4'],
  ])('%s -> %s', (file, image) => {
    const cm = fixtureConfigMaps(file).find((c) => c.name.startsWith('istio-sidecar-injector'))!;
    const config = parseInjectorConfig(cm, 'default');
    const expected = expectedProxyImage(config, {}, NONE);
    expect(expected.image).toBe(image);
    expect(expected.pinned).toBe(false);
  });
});

describe('expectedProxyImage (injector view)', () => {
  const cfg = (v: InjectorValues) => parseInjectorConfig(injectorConfigMap({ values: v }), 'default');

  // [name, values, pod annotations, ProxyConfig image type, expected image]
  it.each<[string, InjectorValues, Labels, ImageTypeSource, string]>([
    ['hub/proxyv2:tag', {}, {}, NONE, 'docker.io/istio/proxyv2:1.28.0'],
    ['custom image name', { proxyImage: 'proxyv2-fips' }, {}, NONE, 'docker.io/istio/proxyv2-fips:1.28.0'],
    ['"/" in global.proxy.image -> verbatim', { proxyImage: 'my.registry/istio/proxy:7' }, {}, NONE, 'my.registry/istio/proxy:7'],
    ['"/" in global.proxy.image ignores the variant', { proxyImage: 'my.registry/istio/proxy:7', variant: 'distroless' }, {}, NONE, 'my.registry/istio/proxy:7'],
    ['"/" in global.proxy.image ignores proxyImageType', { proxyImage: 'my.registry/istio/proxy:7' }, { 'sidecar.istio.io/proxyImageType': 'debug' }, NONE, 'my.registry/istio/proxy:7'],
    ['global.variant distroless', { variant: 'distroless' }, {}, NONE, 'docker.io/istio/proxyv2:1.28.0-distroless'],
    ['global.variant debug', { variant: 'debug' }, {}, NONE, 'docker.io/istio/proxyv2:1.28.0-debug'],
    ['variant replaces a variant suffix already in the tag', { tag: '1.28.0-distroless', variant: 'debug' }, {}, NONE, 'docker.io/istio/proxyv2:1.28.0-debug'],
    ['ProxyConfig image type beats global.variant', { variant: 'distroless' }, {}, typed('debug'), 'docker.io/istio/proxyv2:1.28.0-debug'],
    ['ProxyConfig type "default" removes the variant', { variant: 'distroless' }, {}, typed('default'), 'docker.io/istio/proxyv2:1.28.0'],
    ['ProxyConfig with an image but no type clears global.variant', { variant: 'distroless' }, {}, typed(''), 'docker.io/istio/proxyv2:1.28.0'],
    ['annotation proxyImageType beats ProxyConfig', {}, { 'sidecar.istio.io/proxyImageType': 'debug' }, typed('distroless'), 'docker.io/istio/proxyv2:1.28.0-debug'],
    ['annotation proxyImageType beats global.variant', { variant: 'distroless' }, { 'sidecar.istio.io/proxyImageType': 'default' }, NONE, 'docker.io/istio/proxyv2:1.28.0'],
    ['annotation proxyImageType "distroless" on a plain tag', {}, { 'sidecar.istio.io/proxyImageType': 'distroless' }, NONE, 'docker.io/istio/proxyv2:1.28.0-distroless'],
    ['numeric tag', { tag: 1.25 }, {}, NONE, 'docker.io/istio/proxyv2:1.25'],
  ])('%s', (_name, values, annotations, imageType, image) => {
    const expected = expectedProxyImage(cfg(values), annotations, imageType);
    expect(expected.image).toBe(image);
    expect(expected.pinned).toBe(false);
  });

  it('sidecar.istio.io/proxyImage pins the image', () => {
    const expected = expectedProxyImage(cfg({ variant: 'distroless' }), { 'sidecar.istio.io/proxyImage': 'example.com/proxy:custom' }, typed('debug'));
    expect(expected).toMatchObject({ image: 'example.com/proxy:custom', pinned: true });
  });

  it('without hub and tag the image is unknown', () => {
    const config = parseInjectorConfig(injectorConfigMap({ values: '{"global": {}}' }), 'default');
    expect(expectedProxyImage(config, {}, NONE).image).toBeNull();
  });
});

describe('effectiveImageType: workload ProxyConfig > annotation > namespace > root namespace > mesh defaultConfig', () => {
  const mesh = (imageType?: string, root = 'istio-system'): MeshConfig => ({ imageType, rootNamespace: root, configMap: null, lastChange: null, findings: [] });
  const workloadPC = proxyConfig('demo', 'workload', { app: 'web' }, 'debug');
  const otherWorkloadPC = proxyConfig('demo', 'other-workload', { app: 'api' }, 'default');
  const nsPC = proxyConfig('demo', 'namespace-wide', null, 'distroless');
  const nsEmptySelectorPC = proxyConfig('demo', 'namespace-wide-empty', {}, 'distroless');
  const rootPC = proxyConfig('istio-system', 'root', null, 'default');
  const rootPCElsewhere = proxyConfig('istio-control', 'root', null, 'debug');
  const otherNsPC = proxyConfig('other', 'wide', null, 'debug');
  const noImagePC = proxyConfig('demo', 'no-image', { app: 'web' }, undefined);
  const annotationDebug = { 'proxy.istio.io/config': 'image:\n  imageType: debug\n' };

  // [name, pod labels, annotations, ProxyConfigs, mesh, expected type, expected source substring]
  it.each<[string, Labels, Labels, ProxyConfigRecord[], MeshConfig, string | undefined, string]>([
    ['nothing set', { app: 'web' }, {}, [], mesh(), undefined, 'none'],
    ['mesh defaultConfig', { app: 'web' }, {}, [], mesh('distroless'), 'distroless', 'mesh'],
    ['root namespace ProxyConfig beats mesh', { app: 'web' }, {}, [rootPC], mesh('distroless'), 'default', 'istio-system/root'],
    ['namespace ProxyConfig beats root', { app: 'web' }, {}, [rootPC, nsPC], mesh('debug'), 'distroless', 'demo/namespace-wide'],
    // istio-fidelity.md section 5 (was: namespace-wide): `selector: {}` is neither namespace-wide nor a workload selector.
    ['namespace ProxyConfig with an empty selector selects nothing', { app: 'web' }, {}, [rootPC, nsEmptySelectorPC], mesh(), 'default', 'istio-system/root'],
    ['workload ProxyConfig beats namespace', { app: 'web' }, {}, [rootPC, nsPC, workloadPC], mesh(), 'debug', 'demo/workload'],
    ['workload ProxyConfig for other labels does not apply', { app: 'web' }, {}, [otherWorkloadPC, nsPC], mesh(), 'distroless', 'demo/namespace-wide'],
    ['ProxyConfig of another namespace does not apply', { app: 'web' }, {}, [otherNsPC], mesh('distroless'), 'distroless', 'mesh'],
    ['ProxyConfig without an image is ignored', { app: 'web' }, {}, [noImagePC, nsPC], mesh(), 'distroless', 'demo/namespace-wide'],
    ['the root namespace is the mesh rootNamespace', { app: 'web' }, {}, [rootPC, rootPCElsewhere], mesh(undefined, 'istio-control'), 'debug', 'istio-control/root'],
    ['a ProxyConfig in istio-system is not root when rootNamespace is istio-control', { app: 'web' }, {}, [rootPC], mesh('distroless', 'istio-control'), 'distroless', 'mesh'],
    // istio-fidelity.md section 5 (was: the annotation beats every ProxyConfig): the workload CR beats the annotation.
    ['a workload ProxyConfig beats the proxy.istio.io/config annotation', { app: 'web' }, { 'proxy.istio.io/config': 'image:\n  imageType: distroless\n' }, [workloadPC, nsPC, rootPC], mesh('distroless'), 'debug', 'demo/workload'],
    ['the annotation beats namespace and root ProxyConfigs and the mesh', { app: 'web' }, annotationDebug, [nsPC, rootPC], mesh('distroless'), 'debug', 'annotation'],
    ['annotation without image does not count', { app: 'web' }, { 'proxy.istio.io/config': 'concurrency: 2\n' }, [nsPC], mesh(), 'distroless', 'demo/namespace-wide'],
    ['malformed annotation is ignored', { app: 'web' }, { 'proxy.istio.io/config': 'image: [' }, [nsPC], mesh(), 'distroless', 'demo/namespace-wide'],
  ])('%s', (_name, labels, annotations, pcs, m, type, source) => {
    const result = effectiveImageType('demo', labels, annotations, pcs, m);
    expect(result.imageType).toBe(type);
    expect(result.source).toContain(source);
  });

  it('combines with expectedProxyImage the way the injector resolves it', () => {
    const config = parseInjectorConfig(injectorConfigMap({ values: { variant: 'distroless' } }), 'default');
    const m = parseMeshConfig(meshConfigMap('defaultConfig:\n  image:\n    imageType: debug\n'));
    expect(expectedProxyImage(config, {}, effectiveImageType('demo', {}, {}, [], m)).image).toBe('docker.io/istio/proxyv2:1.28.0-debug');
    expect(expectedProxyImage(config, {}, effectiveImageType('demo', {}, {}, [nsPC], m)).image).toBe('docker.io/istio/proxyv2:1.28.0-distroless');
    expect(expectedProxyImage(config, {}, effectiveImageType('demo', { app: 'web' }, {}, [nsPC, workloadPC], m)).image).toBe('docker.io/istio/proxyv2:1.28.0-debug');
    expect(expectedProxyImage(config, {}, effectiveImageType('demo', {}, {}, [], parseMeshConfig(undefined))).image).toBe('docker.io/istio/proxyv2:1.28.0-distroless');
  });
});

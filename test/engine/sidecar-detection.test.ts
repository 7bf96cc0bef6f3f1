// What a pod actually runs: classic or native sidecar, the injecting revision (every generation of the
// sidecar.istio.io/status annotation), injector vs manual injection.
import { describe, expect, it } from 'vitest';
import { detectActual, findProxy, parseStatusAnnotation, type DetectionContext } from '../../src/engine/sidecar-detection.js';
import type { ContainerRecord, Labels, PodRecord } from '../../src/engine/types.js';
import { APP, classicProxy, ISTIO_INIT, nativeProxy, pod, PROXY_IMAGE, statusAnnotation } from './helpers.js';

const NO_CTX: DetectionContext = { template: null };

describe('findProxy (FindSidecar + hasIstioProxy)', () => {
  // [name, containers, initContainers, mode, image]
  it.each<[string, ContainerRecord[], ContainerRecord[], string, string | null]>([
    ['classic sidecar', [APP, classicProxy()], [ISTIO_INIT], 'sidecar', PROXY_IMAGE],
    ['native sidecar (init container with restartPolicy Always)', [APP], [ISTIO_INIT, nativeProxy()], 'native-sidecar', PROXY_IMAGE],
    ['gateway: istio-proxy is the only container', [classicProxy('docker.io/istio/proxyv2:1.28.0-distroless')], [], 'sidecar', 'docker.io/istio/proxyv2:1.28.0-distroless'],
    ['no istio-proxy', [APP], [ISTIO_INIT], 'none', null],
    ['istio-proxy with an empty image is not a proxy', [APP, classicProxy(null)], [], 'none', null],
    ['native istio-proxy with an empty image is not a proxy', [APP], [nativeProxy(null)], 'none', null],
    ['containers are searched before init containers', [APP, classicProxy('a/proxyv2:1')], [nativeProxy('b/proxyv2:2')], 'sidecar', 'a/proxyv2:1'],
    ['a container named differently is not the proxy', [APP, { name: 'istio-proxy-x', image: PROXY_IMAGE }], [], 'none', null],
  ])('%s', (_name, containers, initContainers, mode, image) => {
    expect(findProxy({ containers, initContainers })).toEqual({ mode, image });
  });

  // FindSidecar looks in initContainers regardless of restartPolicy; hasIstioProxy only requires a non-empty
  // image (istio-injection.md section 6).
  it('an istio-proxy init container without restartPolicy Always is still found', () => {
    const found = findProxy({ containers: [APP], initContainers: [ISTIO_INIT, { name: 'istio-proxy', image: PROXY_IMAGE }] });
    expect(found.mode).not.toBe('none');
    expect(found.image).toBe(PROXY_IMAGE);
  });
});

describe('parseStatusAnnotation', () => {
  it('parses the status JSON', () => {
    expect(parseStatusAnnotation(statusAnnotation({ revision: 'canary', native: true }))).toEqual({
      initContainers: ['istio-init', 'istio-proxy'],
      containers: null,
      volumes: ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'],
      imagePullSecrets: null,
      revision: 'canary',
    });
  });

  it.each(['{', 'not json', '[]', '"text"', '42', 'null'])('%j is reported as an error string', (text) => {
    expect(typeof parseStatusAnnotation(text)).toBe('string');
  });
});

describe('detectActual: the injecting revision across status generations', () => {
  const v18 = JSON.stringify({ version: '1a2b3c', initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: ['istio-envoy'], imagePullSecrets: null });
  const v110 = JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: ['istio-envoy'], imagePullSecrets: null });
  const v111 = (rev: string) => JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'], volumes: ['istio-envoy'], imagePullSecrets: null, revision: rev });
  const nativeStatus = JSON.stringify({ initContainers: ['istio-init', 'istio-proxy'], containers: null, volumes: ['istio-envoy'], imagePullSecrets: null, revision: 'default' });
  const classic = { containers: [APP, classicProxy()], initContainers: [ISTIO_INIT] };
  const native = { containers: [APP], initContainers: [ISTIO_INIT, nativeProxy()] };

  // [name, pod fields, expected revision, expected mode]
  it.each<[string, Partial<PodRecord>, string | null, string]>([
    ['<=1.8 (version, no revision), no label -> default', { ...classic, annotations: { 'sidecar.istio.io/status': v18 } }, 'default', 'sidecar'],
    ['<=1.8 with the template label istio.io/rev=canary', { ...classic, labels: { 'istio.io/rev': 'canary' }, annotations: { 'sidecar.istio.io/status': v18 } }, 'canary', 'sidecar'],
    ['1.9-1.10 (no revision) + label istio.io/rev=canary', { ...classic, labels: { 'istio.io/rev': 'canary' }, annotations: { 'sidecar.istio.io/status': v110 } }, 'canary', 'sidecar'],
    ['1.9-1.10 (no revision), no label -> default', { ...classic, annotations: { 'sidecar.istio.io/status': v110 } }, 'default', 'sidecar'],
    ['>=1.11 revision field', { ...classic, annotations: { 'sidecar.istio.io/status': v111('canary') } }, 'canary', 'sidecar'],
    ['>=1.11 revision field beats a user label istio.io/rev (a tag)', { ...classic, labels: { 'istio.io/rev': 'prod' }, annotations: { 'sidecar.istio.io/status': v111('canary') } }, 'canary', 'sidecar'],
    ['>=1.11 revision "default"', { ...classic, labels: { 'istio.io/rev': 'canary' }, annotations: { 'sidecar.istio.io/status': v111('default') } }, 'default', 'sidecar'],
    ['>=1.18 status revision with the istio.io/rev annotation', { ...classic, annotations: { 'sidecar.istio.io/status': v111('canary'), 'istio.io/rev': 'canary' } }, 'canary', 'sidecar'],
    ['native listing (istio-proxy under initContainers, containers null)', { ...native, annotations: { 'sidecar.istio.io/status': nativeStatus, 'istio.io/rev': 'default' } }, 'default', 'native-sidecar'],
  ])('%s', (_name, fields, revision, mode) => {
    const { actual, findings } = detectActual(pod(fields), NO_CTX);
    expect(findings).toEqual([]);
    expect(actual.revision).toBe(revision);
    expect(actual.mode).toBe(mode);
    expect(actual.injected).toBe(true);
    expect(actual.viaInjector).toBe(true);
    expect(actual.manual).toBe(false);
    expect(actual.image).toBe(PROXY_IMAGE);
  });

  it('malformed status JSON -> InvalidStatusAnnotation finding, no exception', () => {
    const p = pod({ ...classic, annotations: { 'sidecar.istio.io/status': '{"revision": "canary"' } });
    const { actual, findings } = detectActual(p, NO_CTX);
    expect(findings.map((f) => f.code)).toEqual(['InvalidStatusAnnotation']);
    expect(actual.injected).toBe(true);
    expect(actual.viaInjector).toBe(true);
  });

  it('malformed status JSON still reads the istio.io/rev annotation', () => {
    const p = pod({ ...classic, annotations: { 'sidecar.istio.io/status': 'oops', 'istio.io/rev': 'canary' } });
    expect(detectActual(p, NO_CTX).actual.revision).toBe('canary');
  });
});

describe('detectActual: injector, manual, proxyless, none', () => {
  const status = statusAnnotation({ revision: 'default' });
  const classic = { containers: [APP, classicProxy()], initContainers: [ISTIO_INIT] };
  const template = (fields: Partial<PodRecord>): PodRecord => pod({ name: '', creationTimestamp: null, ...fields });

  // [name, pod fields, template, expected subset]
  it.each<[string, Partial<PodRecord>, PodRecord | null, Record<string, unknown>]>([
    ['plain pod', {}, null, { injected: false, viaInjector: false, manual: false, mode: 'none', revision: null, image: null, proxyless: false }],
    ['injected by the webhook (template has no proxy)', { ...classic, annotations: { 'sidecar.istio.io/status': status } }, template({}), { injected: true, viaInjector: true, manual: false, revision: 'default' }],
    ['manual: the owning template carries the proxy', { ...classic, annotations: { 'sidecar.istio.io/status': status } }, template({ ...classic }), { injected: true, viaInjector: false, manual: true }],
    ['manual: istioctl kube-inject template (proxy + status in the template)', { ...classic, annotations: { 'sidecar.istio.io/status': status } }, template({ ...classic, annotations: { 'sidecar.istio.io/status': status } }), { injected: true, viaInjector: false, manual: true }],
    ['manual: a proxy without any status annotation (bare pod)', { ...classic }, null, { injected: true, viaInjector: false, manual: true }],
    ['custom template: went through the injector, no proxy', { annotations: { 'sidecar.istio.io/status': JSON.stringify({ initContainers: null, containers: ['app'], volumes: ['x'], imagePullSecrets: null, revision: 'default' }) } }, null, { injected: false, viaInjector: true, manual: false, proxyless: true, revision: 'default', mode: 'none' }],
    ['ambient redirection annotation', { annotations: { 'ambient.istio.io/redirection': 'enabled' } }, null, { ambient: true, injected: false }],
    ['ambient pending is not captured', { annotations: { 'ambient.istio.io/redirection': 'pending' } }, null, { ambient: false }],
  ])('%s', (_name, fields, tpl, expected) => {
    const { actual } = detectActual(pod(fields), { template: tpl });
    expect(actual).toMatchObject(expected);
  });

  it('a pod label istio.io/rev on a pod without any proxy or status does not give it a revision', () => {
    const labels: Labels = { 'istio.io/rev': 'canary' };
    expect(detectActual(pod({ labels }), NO_CTX).actual.revision).toBeNull();
  });
});

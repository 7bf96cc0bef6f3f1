// The istiod version of a revision and the rules it picks (istio-fidelity.md section 1), both sides of
// every version boundary.
import { describe, expect, it } from 'vitest';
import { buildClusterContext } from '../../src/engine/cluster-context.js';
import { parseInjectorConfig } from '../../src/engine/injector-config.js';
import { imageTag, istiodVersion, parseVersion } from '../../src/engine/istiod-version.js';
import { readInjectValue, rulesFor } from '../../src/engine/version-rules.js';
import type { IstiodVersion } from '../../src/engine/istiod-version.js';
import { injectorConfigMap, state, webhookConfig, workload } from './helpers.js';

const v = (text: string): IstiodVersion => ({ ...parseVersion(text)!, text, source: 'test' });

describe('parseVersion', () => {
  it.each<[string, [number, number, number] | null]>([
    ['1.26.2', [1, 26, 2]],
    ['1.28.0-distroless', [1, 28, 0]],
    ['v1.27.1', [1, 27, 1]],
    ['1.24', [1, 24, 0]],
    ['1.24.1-asm.3', [1, 24, 1]],
    ['1.31.0-rc.0', [1, 31, 0]],
    ['1.16-alpha.91e471de3e8fc93ebb545cedf396ddbd550b996c', [1, 16, 0]],
    ['latest', null],
    ['master-2026-08-22T19-00-53', null],
    ['91e471de3e8f', null],
    ['', null],
  ])('%j -> %j', (text, expected) => {
    const p = parseVersion(text);
    expect(p ? [p.major, p.minor, p.patch] : null).toEqual(expected);
  });

  it.each<[string, string | null]>([
    ['docker.io/istio/pilot:1.26.2', '1.26.2'],
    ['localhost:5000/istio/pilot:1.28.0-distroless', '1.28.0-distroless'],
    ['localhost:5000/istio/pilot', null],
    ['docker.io/istio/pilot@sha256:abcd', null],
  ])('image tag of %s', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });
});

describe('istiodVersion: values global.tag, then ConfigMap labels, then the istiod image', () => {
  const base = { configMap: 'istio-system/istio-sidecar-injector', tag: '', labels: {} };
  it('global.tag first', () => {
    const r = istiodVersion({ ...base, tag: '1.26.2', labels: { 'operator.istio.io/version': '1.25.0' }, istiodImage: { image: 'x/pilot:1.24.0', deployment: 'd' } });
    expect(r).toMatchObject({ major: 1, minor: 26, patch: 2, source: 'values global.tag of istio-system/istio-sidecar-injector' });
  });
  it('a tag that is not a version falls back to the labels', () => {
    expect(istiodVersion({ ...base, tag: 'latest', labels: { 'operator.istio.io/version': '1.25.1' } })).toMatchObject({ minor: 25, source: 'label operator.istio.io/version of istio-system/istio-sidecar-injector' });
    expect(istiodVersion({ ...base, tag: 'latest', labels: { 'app.kubernetes.io/version': '1.29.0' } })).toMatchObject({ minor: 29 });
  });
  it('then the istiod Deployment image', () => {
    expect(istiodVersion({ ...base, tag: 'sha-abc', istiodImage: { image: 'gcr.io/istio-release/pilot:1.27.3', deployment: 'deployment/istio-system/istiod' } })).toMatchObject({
      minor: 27,
      patch: 3,
      source: 'image gcr.io/istio-release/pilot:1.27.3 of deployment/istio-system/istiod',
    });
  });
  it('nothing readable: unknown', () => {
    expect(istiodVersion({ ...base, tag: 'latest' })).toBeNull();
  });
  it('a reading older than the ConfigMap format allows is a placeholder (Istio test charts say 1.0.0): skipped, noted', () => {
    const notes: string[] = [];
    expect(istiodVersion({ ...base, tag: '1.1.4', labels: { 'app.kubernetes.io/version': '1.0.0' }, minimum: { major: 1, minor: 9 }, notes })).toBeNull();
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain('global.tag');
  });
});

describe('the injector ConfigMap and the cluster context carry the version', () => {
  it('parseInjectorConfig reads global.tag', () => {
    const config = parseInjectorConfig(injectorConfigMap({ values: { tag: '1.26.2' } }), 'default');
    expect(config.version).toMatchObject({ major: 1, minor: 26, patch: 2 });
    expect(config.rules.injectValue).toBe('yaml-bool');
  });
  it('a ConfigMap without a usable version takes the istiod Deployment image', () => {
    const ctx = buildClusterContext(
      state({
        webhookConfigurations: [webhookConfig('a')],
        configMaps: [injectorConfigMap({ values: { tag: 'latest' } })],
        workloads: [{ ...workload('Deployment', 'istiod', { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.25.4' }] }, 'istio-system') }],
      }),
    );
    const inj = ctx.injectors.get('default')!;
    expect(inj.version).toMatchObject({ minor: 25, patch: 4 });
    expect(inj.config!.rules.label).toBe('istiod 1.25.4 (pre-1.27 rules)');
  });
  it('no version at all: the newest rules, said so', () => {
    const config = parseInjectorConfig(injectorConfigMap({ values: { tag: 'latest' } }), 'default');
    expect(config.version).toBeNull();
    expect(config.rules.label).toBe('istiod version unknown (newest rules assumed)');
    expect(config.rules).toMatchObject({ assumed: true, injectValue: 'exact', emptyImageTypeUsesVariant: true, legacyTemplate: false });
  });
});

describe('rulesFor: both sides of each boundary', () => {
  it.each<[string, 'yaml-bool' | 'exact']>([
    ['1.22.0', 'yaml-bool'],
    ['1.26.8', 'yaml-bool'],
    ['1.27.0', 'exact'],
    ['1.31.0', 'exact'],
  ])('inject value rule of %s: %s', (ver, rule) => {
    expect(rulesFor(v(ver)).injectValue).toBe(rule);
  });
  it.each<[string, boolean]>([
    ['1.30.3', false],
    ['1.31.0', true],
  ])('empty image type falls back to global.variant on %s: %s', (ver, yes) => {
    expect(rulesFor(v(ver)).emptyImageTypeUsesVariant).toBe(yes);
  });
  it.each<[string, boolean]>([
    ['1.9.8', true],
    ['1.10.0', false],
  ])('legacy template honoured by %s: %s', (ver, yes) => {
    expect(rulesFor(v(ver)).legacyTemplate).toBe(yes);
  });
  it.each<[string, string, boolean]>([
    ['1.24.6', 'sidecar.istio.io/enableCoreDump', true],
    ['1.25.0', 'sidecar.istio.io/enableCoreDump', false],
    ['1.26.2', 'sidecar.istio.io/proxyCPU', false],
    ['1.27.0', 'sidecar.istio.io/proxyCPU', true],
    ['1.27.0', 'sidecar.istio.io/proxyMemoryLimit', true],
    ['1.29.6', 'traffic.sidecar.istio.io/excludeInterfaces', false],
    ['1.30.0', 'traffic.sidecar.istio.io/excludeInterfaces', true],
    ['1.30.0', 'traffic.sidecar.istio.io/kubevirtInterfaces', true],
    ['1.30.0', 'istio.io/reroute-virtual-interfaces', true],
    ['1.22.0', 'sidecar.istio.io/interceptionMode', true],
    ['1.31.0', 'proxy.istio.io/config', true],
  ])('%s validates %s: %s', (ver, annotation, yes) => {
    expect(rulesFor(v(ver)).validatedAnnotations.has(annotation)).toBe(yes);
  });
});

describe('readInjectValue (injectRequired rule 3)', () => {
  // [value, 1.22-1.26, 1.27+]
  it.each<[string, string, string]>([
    ['true', 'in', 'in'],
    ['false', 'out', 'out'],
    ['', 'unset', 'unset'],
    ['TRUE', 'in', 'unset'],
    ['True', 'in', 'unset'],
    ['y', 'in', 'unset'],
    ['yes', 'in', 'unset'],
    ['YES', 'in', 'unset'],
    ['on', 'in', 'unset'],
    ['no', 'out', 'unset'],
    ['off', 'out', 'unset'],
    ['False', 'out', 'unset'],
    ['disabled', 'out', 'unset'],
    ['random', 'out', 'unset'],
    ['1', 'out', 'unset'],
    [' true', 'out', 'unset'],
  ])('%j: %s before 1.27, %s from 1.27', (value, legacy, exact) => {
    expect(readInjectValue(rulesFor(v('1.26.2')), value)).toBe(legacy);
    expect(readInjectValue(rulesFor(v('1.27.0')), value)).toBe(exact);
  });
});

// The injector ConfigMap (istio-sidecar-injector[-REV]): data.config (YAML) and data.values (JSON),
// and the mesh ConfigMap. Parsing never throws: malformed content becomes findings.
import { describe, expect, it } from 'vitest';
import {
  assumedInjectorConfig,
  injectorConfigMapName,
  meshConfigMapName,
  parseInjectorConfig,
  parseMeshConfig,
  renderableTemplates,
  templatesAddProxy,
  templatesFor,
} from '../../src/engine/injector-config.js';
import type { ConfigMapRecord } from '../../src/engine/types.js';
import { codes, fixtureConfigMap, fixtureConfigMaps, GOLDEN, injectorConfigMap, meshConfigMap, valuesJson } from './helpers.js';

describe('ConfigMap names (GetInjectorConfigMapName)', () => {
  it.each([
    ['', 'istio-sidecar-injector', 'istio'],
    ['default', 'istio-sidecar-injector', 'istio'],
    ['canary', 'istio-sidecar-injector-canary', 'istio-canary'],
    ['1-24-0', 'istio-sidecar-injector-1-24-0', 'istio-1-24-0'],
  ])('revision %j -> %s / %s', (revision, injector, mesh) => {
    expect(injectorConfigMapName(revision)).toBe(injector);
    expect(meshConfigMapName(revision)).toBe(mesh);
  });
});

describe('the modern golden install (istiod-default-golden.yaml)', () => {
  const cm = fixtureConfigMap(GOLDEN, 'istio-sidecar-injector');
  const config = parseInjectorConfig(cm, 'default');

  it('parses without findings', () => {
    expect(config.findings).toEqual([]);
    expect(config.parsed).toBe(true);
    expect(config.configMap).toBe('istio-system/istio-sidecar-injector');
    expect(config.revision).toBe('default');
  });

  it('reads the config keys', () => {
    expect(config.policy).toBe('enabled');
    expect(config.alwaysInjectSelector).toEqual([]);
    expect(config.neverInjectSelector).toEqual([]);
    expect(config.injectedAnnotations).toEqual({});
    expect(config.defaultTemplates).toEqual(['sidecar']);
    // `template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"` is not a legacy template.
    expect(config.legacyTemplate).toBeNull();
  });

  it('knows which templates add an istio-proxy container', () => {
    expect(Object.fromEntries(config.templates)).toEqual({
      'sidecar': true,
      'gateway': true,
      'grpc-simple': false,
      'grpc-agent': true,
      'waypoint': true,
      'kube-gateway': true,
      'agentgateway': false,
    });
  });

  it('reads the values the engine uses', () => {
    expect(config).toMatchObject({
      hub: 'registry.istio.io/release',
      tag: '1.1.4',
      variant: '',
      proxyImage: 'proxyv2',
      enableNamespacesByDefault: false,
      cni: false,
    });
  });

  it('the mesh ConfigMap of the golden sets rootNamespace istio-control and no image', () => {
    const mesh = parseMeshConfig(fixtureConfigMap(GOLDEN, 'istio'));
    expect(mesh).toEqual({ imageType: undefined, rootNamespace: 'istio-control', configMap: 'istio-system/istio', lastChange: null, findings: [] });
  });
});

describe('the 1.3-era ConfigMaps (single `template:`)', () => {
  it.each([
    ['injector/sidecar-injector-configmap.yaml', 'istio-sidecar-injector', 'proxyv2', false],
    ['injector/sidecar-injector-enabled-nsbydefault.yaml', 'istio-sidecar-injector', 'proxyv2', true],
    ['injector/sidecar-injector-configmap-absolute-override.yaml', 'istio-sidecar-injector', 'registry.istio.io/release/proxyv2:1.3.1', false],
    ['injector/sidecar-injector-configmap-with-revision-canary.yaml', 'istio-sidecar-injector-canary', 'registry.istio.io/release/proxyv2:1.3.1', false],
  ])('%s', (file, name, proxyImage, nsByDefault) => {
    const cms = fixtureConfigMaps(file);
    expect(cms.map((c) => `${c.namespace}/${c.name}`)).toEqual([`istio-system/${name}`]);
    const config = parseInjectorConfig(cms[0]!, name.endsWith('canary') ? 'canary' : 'default');
    expect(config.findings).toEqual([]);
    expect(config.parsed).toBe(true);
    expect(config).toMatchObject({
      policy: 'enabled',
      legacyTemplate: true,
      version: { major: 1, minor: 3, patch: 1 },
      defaultTemplates: ['sidecar'],
      hub: 'registry.istio.io/release',
      tag: '1.3.1',
      proxyImage,
      enableNamespacesByDefault: nsByDefault,
      cni: false, // istio_cni.enabled: false
    });
    expect(config.alwaysInjectSelector).toEqual([]);
    expect(config.neverInjectSelector).toEqual([]);
    // The single template is the sidecar template and adds istio-proxy; istiod < 1.10 renders it as "sidecar".
    expect(Object.fromEntries(config.templates)).toEqual({});
    expect(Object.fromEntries(renderableTemplates(config))).toEqual({ sidecar: true });
  });
});

describe('values', () => {
  const parse = (values: string) => parseInjectorConfig(injectorConfigMap({ values }), 'default');

  it.each<[string, string, Partial<ReturnType<typeof parse>>]>([
    ['pilot.cni.enabled (1.22+)', JSON.stringify({ global: {}, pilot: { cni: { enabled: true } } }), { cni: true }],
    ['top-level istio_cni.enabled (older installs)', JSON.stringify({ global: {}, istio_cni: { enabled: true } }), { cni: true }],
    ['both CNI flags false', JSON.stringify({ global: {}, pilot: { cni: { enabled: false } }, istio_cni: { enabled: false } }), { cni: false }],
    ['enableNamespacesByDefault', valuesJson({ enableNamespacesByDefault: true }), { enableNamespacesByDefault: true }],
    ['global.variant', valuesJson({ variant: 'distroless' }), { variant: 'distroless' }],
    ['global.proxy.image default proxyv2', JSON.stringify({ global: { hub: 'h', tag: 't' } }), { proxyImage: 'proxyv2', hub: 'h', tag: 't' }],
    ['global.proxy.image empty -> proxyv2', JSON.stringify({ global: { hub: 'h', tag: 't', proxy: { image: '' } } }), { proxyImage: 'proxyv2' }],
    ['global.proxy.image custom name', valuesJson({ proxyImage: 'proxyv2-custom' }), { proxyImage: 'proxyv2-custom' }],
    ['numeric global.tag is printed like Go %v', JSON.stringify({ global: { hub: 'h', tag: 1.24 } }), { tag: '1.24' }],
    ['no global at all', JSON.stringify({ revision: 'x' }), { hub: '', tag: '', proxyImage: 'proxyv2', cni: false }],
  ])('%s', (_name, values, expected) => {
    const config = parse(values);
    expect(config.findings).toEqual([]);
    expect(config).toMatchObject(expected);
  });

  it.each([
    ['not JSON', '{"global": {"hub": '],
    ['YAML instead of JSON', 'global:\n  hub: docker.io/istio\n'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"global"'],
  ])('malformed values (%s) -> InvalidInjectorConfig finding, no exception, image unknown', (_name, values) => {
    let config: ReturnType<typeof parse> | undefined;
    expect(() => {
      config = parse(values);
    }).not.toThrow();
    expect(codes(config!.findings)).toEqual(['InvalidInjectorConfig']);
    expect(config!.findings[0]!.severity).toBe('error');
    expect(config!.findings[0]!.message).toContain('values');
    expect(config!.hub).toBe('');
    expect(config!.tag).toBe('');
    // The config part is still used.
    expect(config!.policy).toBe('enabled');
    expect(config!.parsed).toBe(true);
  });

  it('missing values is not an error', () => {
    const config = parseInjectorConfig(injectorConfigMap({ omitValues: true }), 'default');
    expect(config.findings).toEqual([]);
    expect(config.hub).toBe('');
  });
});

describe('config', () => {
  const parse = (config: string) => parseInjectorConfig(injectorConfigMap({ config }), 'default');

  it.each([
    ['enabled', 'enabled', []],
    ['disabled', 'disabled', []],
    // Any other string is "illegal": istiod then injects nothing (istio-injection.md section 1.6).
    ['Enabled', 'Enabled', ['IllegalInjectionPolicy']],
    ['DISABLED', 'DISABLED', ['IllegalInjectionPolicy']],
    ['"true"', 'true', ['IllegalInjectionPolicy']],
    ['""', '', ['IllegalInjectionPolicy']],
    ['foo', 'foo', ['IllegalInjectionPolicy']],
  ])('policy: %s', (yamlValue, policy, expected) => {
    const config = parse(`policy: ${yamlValue}\n`);
    expect(config.policy).toBe(policy);
    expect(codes(config.findings)).toEqual(expected);
    expect(config.parsed).toBe(true);
  });

  it('a missing policy is not defaulted (UnmarshalConfig): illegal', () => {
    const config = parse('defaultTemplates: [sidecar]\n');
    expect(config.policy).toBe('');
    expect(codes(config.findings)).toEqual(['IllegalInjectionPolicy']);
  });

  it('an empty config is not defaulted either', () => {
    const config = parse('');
    expect(config.policy).toBe('');
    expect(codes(config.findings)).toEqual(['IllegalInjectionPolicy']);
  });

  it.each([
    ['broken YAML', 'policy: enabled\ntemplates: {sidecar: [\n'],
    ['bad indentation', 'policy: enabled\n  neverInjectSelector:\n- a\n b: c'],
    ['a YAML list', '- policy\n- enabled\n'],
    ['a scalar', 'enabled'],
    ['neverInjectSelector not a list', 'policy: enabled\nneverInjectSelector: {matchLabels: {a: b}}\n'],
    ['alwaysInjectSelector entry not a selector', 'policy: enabled\nalwaysInjectSelector: [app]\n'],
    ['defaultTemplates not a list', 'policy: enabled\ndefaultTemplates: sidecar\n'],
    ['policy not a string', 'policy: [enabled]\n'],
  ])('malformed config (%s) -> InvalidInjectorConfig finding, no exception', (_name, text) => {
    let config: ReturnType<typeof parse> | undefined;
    expect(() => {
      config = parse(text);
    }).not.toThrow();
    expect(codes(config!.findings)).toEqual(['InvalidInjectorConfig']);
    expect(config!.findings[0]!.severity).toBe('error');
    expect(config!.findings[0]!.object).toBe('configmap/istio-system/istio-sidecar-injector');
    expect(config!.parsed).toBe(false);
  });

  it('missing data.config -> finding, no exception', () => {
    const cm: ConfigMapRecord = { namespace: 'istio-system', name: 'istio-sidecar-injector', labels: {}, data: { values: valuesJson() }, lastChange: null };
    const config = parseInjectorConfig(cm, 'default');
    expect(codes(config.findings)).toEqual(['InvalidInjectorConfig']);
    expect(config.parsed).toBe(false);
    expect(config.hub).toBe('docker.io/istio');
  });

  it('reads selectors, keeping invalid entries (istiod skips them) with a finding', () => {
    const config = parse(
      [
        'policy: disabled',
        'alwaysInjectSelector:',
        '- matchLabels: {app: web}',
        '- matchExpressions: [{key: tier, operator: In, values: [frontend, api]}]',
        'neverInjectSelector:',
        '- matchExpressions: [{key: app, operator: Foo}]',
        '- {}',
        '- matchLabels: {app: db}',
      ].join('\n'),
    );
    expect(config.policy).toBe('disabled');
    expect(config.alwaysInjectSelector.map((s) => s.compiled.valid)).toEqual([true, true]);
    expect(config.alwaysInjectSelector[0]!.source).toEqual({ matchLabels: { app: 'web' } });
    expect(config.neverInjectSelector.map((s) => s.compiled.valid)).toEqual([false, true, true]);
    expect(config.neverInjectSelector[1]!.compiled).toEqual({ valid: true, requirements: [], empty: true });
    expect(codes(config.findings)).toEqual(['InvalidSelector']);
    expect(config.parsed).toBe(true);
  });

  it('reads injectedAnnotations, aliases, defaultTemplates and templates', () => {
    const config = parse(
      [
        'policy: enabled',
        'injectedAnnotations: {team: mesh, count: 3}',
        'defaultTemplates: [sidecar, extra]',
        'aliases: {both: [sidecar, extra]}',
        'templates:',
        '  sidecar: |',
        '    containers:',
        '    - name: istio-proxy',
        '  extra: |',
        '    metadata: {}',
      ].join('\n'),
    );
    expect(config.findings).toEqual([]);
    expect(config.injectedAnnotations).toEqual({ team: 'mesh', count: '3' });
    expect(config.defaultTemplates).toEqual(['sidecar', 'extra']);
    expect(config.aliases).toEqual({ both: ['sidecar', 'extra'] });
    expect(Object.fromEntries(config.templates)).toEqual({ sidecar: true, extra: false });
    expect(config.legacyTemplate).toBeNull();
  });

  it('defaultTemplates defaults to [sidecar]', () => {
    expect(parse('policy: enabled\n').defaultTemplates).toEqual(['sidecar']);
    expect(parse('policy: enabled\ndefaultTemplates: []\n').defaultTemplates).toEqual(['sidecar']);
  });
});

describe('templates for a pod', () => {
  const config = parseInjectorConfig(
    injectorConfigMap({
      config: {
        aliases: { grpc: ['grpc-simple'], 'gw-plus': ['gateway', 'custom'] },
        templates: { sidecar: 'containers:\n- name: istio-proxy\n', gateway: 'containers:\n- name: istio-proxy\n', 'grpc-simple': 'initContainers:\n- name: grpc-bootstrap-init\n', custom: 'metadata: {}\n' },
      },
    }),
    'default',
  );

  it.each<[Record<string, string>, string[], boolean | null]>([
    [{}, ['sidecar'], true],
    // selectTemplates: the annotation, when present, is split without dropping empty names (the injector then refuses the pod).
    [{ 'inject.istio.io/templates': '' }, [''], null],
    [{ 'inject.istio.io/templates': 'gateway' }, ['gateway'], true],
    [{ 'inject.istio.io/templates': 'grpc-simple' }, ['grpc-simple'], false],
    [{ 'inject.istio.io/templates': 'custom' }, ['custom'], false],
    [{ 'inject.istio.io/templates': 'sidecar,custom' }, ['sidecar', 'custom'], true],
    [{ 'inject.istio.io/templates': ' custom , grpc-simple ' }, ['custom', 'grpc-simple'], false],
    [{ 'inject.istio.io/templates': 'grpc' }, ['grpc-simple'], false],
    [{ 'inject.istio.io/templates': 'gw-plus' }, ['gateway', 'custom'], true],
    [{ 'inject.istio.io/templates': 'unknown' }, ['unknown'], null],
    [{ 'inject.istio.io/templates': 'custom,unknown' }, ['custom', 'unknown'], null],
  ])('%j -> %j (adds proxy: %s)', (annotations, templates, adds) => {
    expect(templatesFor(config, annotations)).toEqual(templates);
    expect(templatesAddProxy(config, templates)).toBe(adds);
  });
});

describe('mesh ConfigMap', () => {
  it.each<[string, string | undefined, string]>([
    ['defaultConfig:\n  image:\n    imageType: distroless\n', 'distroless', 'istio-system'],
    ['defaultConfig:\n  image:\n    imageType: debug\nrootNamespace: mesh-root\n', 'debug', 'mesh-root'],
    ['defaultConfig:\n  image: {}\n', '', 'istio-system'],
    ['defaultConfig:\n  discoveryAddress: istiod:15012\n', undefined, 'istio-system'],
    ['{}', undefined, 'istio-system'],
  ])('%j -> imageType %j, root %s', (mesh, imageType, root) => {
    const parsed = parseMeshConfig(meshConfigMap(mesh));
    expect(parsed.imageType).toBe(imageType);
    expect(parsed.rootNamespace).toBe(root);
    expect(parsed.findings).toEqual([]);
  });

  it('malformed mesh -> finding, no exception', () => {
    const parsed = parseMeshConfig(meshConfigMap('defaultConfig: [\n'));
    expect(codes(parsed.findings)).toEqual(['InvalidMeshConfig']);
    expect(parsed.imageType).toBeUndefined();
  });

  it('a missing mesh ConfigMap means defaults', () => {
    expect(parseMeshConfig(undefined)).toEqual({ imageType: undefined, rootNamespace: 'istio-system', configMap: null, lastChange: null, findings: [] });
  });
});

describe('assumedInjectorConfig (the revision has no ConfigMap)', () => {
  it('assumes the chart default policy and names the missing ConfigMap', () => {
    const config = assumedInjectorConfig('istio-system/istio-sidecar-injector-canary', 'canary');
    expect(config).toMatchObject({ policy: 'enabled', parsed: false, configMap: 'istio-system/istio-sidecar-injector-canary', revision: 'canary' });
    expect(config.findings).toEqual([]);
  });
});

// Both gates together on the real rendered webhook configurations: a webhook must match (namespace and
// pod labels), then that revision's injector must say yes (injectRequired).
import { describe, expect, it } from 'vitest';
import { decide, decideCached, type Decision } from '../../src/engine/decision.js';
import type { ClusterContext } from '../../src/engine/cluster-context.js';
import type { ConfigMapRecord, Labels } from '../../src/engine/types.js';
import {
  context,
  deactivatedWebhookConfig,
  fixtureConfigMap,
  fixtureConfigMaps,
  GOLDEN,
  injectorConfigMap,
  ns,
  rawWebhook,
  webhookConfig,
} from './helpers.js';
import { webhookConfigurationRecord } from '../../src/cluster/records.js';

const goldenCMs = fixtureConfigMaps(GOLDEN); // istio (mesh) + istio-sidecar-injector (policy enabled)
const canaryCM = fixtureConfigMap('injector/sidecar-injector-configmap-with-revision-canary.yaml', 'istio-sidecar-injector-canary');

function scenario(webhooks: ReturnType<typeof webhookConfig>[], configMaps: ConfigMapRecord[] = [...goldenCMs, canaryCM]): ClusterContext {
  return context({ webhookConfigurations: webhooks, configMaps });
}

const SCENARIOS: Record<string, ClusterContext> = {
  'a': scenario([webhookConfig('a')]),
  'b': scenario([webhookConfig('b')]),
  'a+c': scenario([webhookConfig('a'), webhookConfig('c')]),
  'c': scenario([webhookConfig('c')]),
  'c+d': scenario([webhookConfig('c'), webhookConfig('d')]),
  // istioctl tag set default --revision canary: default MWC deactivated, tag "default" routes to canary.
  'tag-default': scenario([deactivatedWebhookConfig('a'), webhookConfig('c'), webhookConfig('e')]),
  // The same without deactivating the old default configuration.
  'a+e': scenario([webhookConfig('a'), webhookConfig('e')]),
};

const short = (configuration: string, webhook: string) => `${configuration}:${webhook.replace('.sidecar-injector.istio.io', '')}`;
const matchedOf = (d: Decision) => d.matched.map((m) => short(m.hook.configuration, m.hook.webhook));
const injectingOf = (d: Decision) => d.injecting.map((m) => short(m.hook.configuration, m.hook.webhook));

const INJ = 'sidecar.istio.io/inject';
const D = 'istio-sidecar-injector';
const C = 'istio-sidecar-injector-canary';
const TP = 'istio-revision-tag-prod';
const TD = 'istio-revision-tag-default';

interface Row {
  name: string;
  scenario: keyof typeof SCENARIOS;
  ns: [string, Labels];
  labels?: Labels;
  annotations?: Labels;
  hostNetwork?: boolean;
  inject: boolean;
  revision: string | null;
  matched: string[];
}

const ROWS: Row[] = [
  // ---- (a) default revision -------------------------------------------------------------------------------
  { name: 'unlabelled namespace, plain pod', scenario: 'a', ns: ['app', {}], inject: false, revision: null, matched: [] },
  { name: 'unlabelled namespace, pod label inject=true (object.)', scenario: 'a', ns: ['app', {}], labels: { [INJ]: 'true' }, inject: true, revision: 'default', matched: [`${D}:object`] },
  { name: 'pod annotation inject=true is invisible to the selectors', scenario: 'a', ns: ['app', {}], annotations: { [INJ]: 'true' }, inject: false, revision: null, matched: [] },
  { name: 'pod label istio.io/rev=default (rev.object.)', scenario: 'a', ns: ['app', {}], labels: { 'istio.io/rev': 'default' }, inject: true, revision: 'default', matched: [`${D}:rev.object`] },
  { name: 'istio-injection=enabled, plain pod', scenario: 'a', ns: ['app', { 'istio-injection': 'enabled' }], inject: true, revision: 'default', matched: [`${D}:namespace`] },
  { name: 'istio-injection=enabled, pod annotation inject=false: webhook matches, injector says no', scenario: 'a', ns: ['app', { 'istio-injection': 'enabled' }], annotations: { [INJ]: 'false' }, inject: false, revision: null, matched: [`${D}:namespace`] },
  { name: 'istio-injection=enabled, pod label inject=false: no webhook', scenario: 'a', ns: ['app', { 'istio-injection': 'enabled' }], labels: { [INJ]: 'false' }, annotations: { [INJ]: 'true' }, inject: false, revision: null, matched: [] },
  { name: 'istio-injection=enabled, pod label inject="" overrides annotation false: policy enabled injects', scenario: 'a', ns: ['app', { 'istio-injection': 'enabled' }], labels: { [INJ]: '' }, annotations: { [INJ]: 'false' }, inject: true, revision: 'default', matched: [`${D}:namespace`] },
  { name: 'istio-injection=enabled, pod label inject=True (invalid): policy decides', scenario: 'a', ns: ['app', { 'istio-injection': 'enabled' }], labels: { [INJ]: 'True' }, inject: true, revision: 'default', matched: [`${D}:namespace`] },
  { name: 'istio-injection=enabled, hostNetwork', scenario: 'a', ns: ['app', { 'istio-injection': 'enabled' }], hostNetwork: true, inject: false, revision: null, matched: [`${D}:namespace`] },
  { name: 'istio-injection=disabled, pod label inject=true', scenario: 'a', ns: ['app', { 'istio-injection': 'disabled' }], labels: { [INJ]: 'true' }, inject: false, revision: null, matched: [] },
  { name: 'istio.io/rev=default namespace', scenario: 'a', ns: ['app', { 'istio.io/rev': 'default' }], inject: true, revision: 'default', matched: [`${D}:rev.namespace`] },
  { name: 'istio.io/rev=canary namespace without a canary revision', scenario: 'a', ns: ['app', { 'istio.io/rev': 'canary' }], labels: { [INJ]: 'true' }, inject: false, revision: null, matched: [] },
  { name: 'kube-system, pod label inject=true: object. matches, ignored namespace', scenario: 'a', ns: ['kube-system', {}], labels: { [INJ]: 'true' }, inject: false, revision: null, matched: [`${D}:object`] },
  { name: 'kube-public, pod label istio.io/rev=default: ignored namespace', scenario: 'a', ns: ['kube-public', {}], labels: { 'istio.io/rev': 'default' }, inject: false, revision: null, matched: [`${D}:rev.object`] },
  { name: 'kube-node-lease labelled istio-injection=enabled: ignored namespace', scenario: 'a', ns: ['kube-node-lease', { 'istio-injection': 'enabled' }], inject: false, revision: null, matched: [`${D}:namespace`] },
  { name: 'local-path-storage labelled istio-injection=enabled: ignored namespace', scenario: 'a', ns: ['local-path-storage', { 'istio-injection': 'enabled' }], inject: false, revision: null, matched: [`${D}:namespace`] },
  { name: 'istio-system is not ignored', scenario: 'a', ns: ['istio-system', {}], labels: { [INJ]: 'true' }, inject: true, revision: 'default', matched: [`${D}:object`] },
  { name: 'dataplane-mode=ambient namespace with istio-injection=enabled still gets a sidecar', scenario: 'a', ns: ['app', { 'istio-injection': 'enabled', 'istio.io/dataplane-mode': 'ambient' }], inject: true, revision: 'default', matched: [`${D}:namespace`] },
  // ---- (b) enableNamespacesByDefault ------------------------------------------------------------------------
  { name: 'auto.: unlabelled namespace, plain pod', scenario: 'b', ns: ['app', {}], inject: true, revision: 'default', matched: [`${D}:auto`] },
  { name: 'auto.: pod annotation inject=false (invisible to auto.) -> injector says no', scenario: 'b', ns: ['app', {}], annotations: { [INJ]: 'false' }, inject: false, revision: null, matched: [`${D}:auto`] },
  { name: 'auto.: pod label inject=false -> no webhook', scenario: 'b', ns: ['app', {}], labels: { [INJ]: 'false' }, inject: false, revision: null, matched: [] },
  { name: 'auto.: pod label istio.io/rev=canary -> no webhook', scenario: 'b', ns: ['app', {}], labels: { 'istio.io/rev': 'canary' }, inject: false, revision: null, matched: [] },
  { name: 'auto. excludes kube-system by name', scenario: 'b', ns: ['kube-system', {}], inject: false, revision: null, matched: [] },
  { name: 'auto. excludes local-path-storage by name', scenario: 'b', ns: ['local-path-storage', {}], inject: false, revision: null, matched: [] },
  { name: 'auto. covers istio-system', scenario: 'b', ns: ['istio-system', {}], inject: true, revision: 'default', matched: [`${D}:auto`] },
  { name: 'auto.: istio-injection=disabled blocks it', scenario: 'b', ns: ['app', { 'istio-injection': 'disabled' }], inject: false, revision: null, matched: [] },
  // ---- (a)+(c) default and canary -----------------------------------------------------------------------------
  { name: 'istio-injection beats istio.io/rev on the namespace', scenario: 'a+c', ns: ['app', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }], inject: true, revision: 'default', matched: [`${D}:namespace`] },
  { name: 'istio-injection beats a pod istio.io/rev', scenario: 'a+c', ns: ['app', { 'istio-injection': 'enabled' }], labels: { 'istio.io/rev': 'canary' }, inject: true, revision: 'default', matched: [`${D}:namespace`] },
  { name: 'namespace istio.io/rev beats pod istio.io/rev', scenario: 'a+c', ns: ['app', { 'istio.io/rev': 'canary' }], labels: { 'istio.io/rev': 'default' }, inject: true, revision: 'canary', matched: [`${C}:rev.namespace`] },
  { name: 'namespace istio.io/rev=default beats pod istio.io/rev=canary', scenario: 'a+c', ns: ['app', { 'istio.io/rev': 'default' }], labels: { 'istio.io/rev': 'canary' }, inject: true, revision: 'default', matched: [`${D}:rev.namespace`] },
  { name: 'unlabelled namespace, pod istio.io/rev=canary', scenario: 'a+c', ns: ['app', {}], labels: { 'istio.io/rev': 'canary' }, inject: true, revision: 'canary', matched: [`${C}:rev.object`] },
  { name: 'unlabelled namespace, pod inject=true + istio.io/rev=canary: only canary', scenario: 'a+c', ns: ['app', {}], labels: { [INJ]: 'true', 'istio.io/rev': 'canary' }, inject: true, revision: 'canary', matched: [`${C}:rev.object`] },
  { name: 'istio-injection=disabled + istio.io/rev=canary: nothing', scenario: 'a+c', ns: ['app', { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }], inject: false, revision: null, matched: [] },
  { name: 'canary namespace, pod label inject=false', scenario: 'a+c', ns: ['app', { 'istio.io/rev': 'canary' }], labels: { [INJ]: 'false' }, inject: false, revision: null, matched: [] },
  { name: 'canary namespace, pod annotation inject=false', scenario: 'a+c', ns: ['app', { 'istio.io/rev': 'canary' }], annotations: { [INJ]: 'false' }, inject: false, revision: null, matched: [`${C}:rev.namespace`] },
  // ---- (c) alone: revision-only install ---------------------------------------------------------------------
  { name: 'revision-only install: istio-injection=enabled matches nothing', scenario: 'c', ns: ['app', { 'istio-injection': 'enabled' }], inject: false, revision: null, matched: [] },
  { name: 'revision-only install: istio.io/rev=canary', scenario: 'c', ns: ['app', { 'istio.io/rev': 'canary' }], inject: true, revision: 'canary', matched: [`${C}:rev.namespace`] },
  // ---- (c)+(d) tag prod -> canary -----------------------------------------------------------------------------
  { name: 'namespace istio.io/rev=prod (tag) -> revision canary', scenario: 'c+d', ns: ['app', { 'istio.io/rev': 'prod' }], inject: true, revision: 'canary', matched: [`${TP}:rev.namespace`] },
  { name: 'pod istio.io/rev=prod (tag) -> revision canary', scenario: 'c+d', ns: ['app', {}], labels: { 'istio.io/rev': 'prod' }, inject: true, revision: 'canary', matched: [`${TP}:rev.object`] },
  { name: 'namespace istio.io/rev=canary directly', scenario: 'c+d', ns: ['app', { 'istio.io/rev': 'canary' }], inject: true, revision: 'canary', matched: [`${C}:rev.namespace`] },
  { name: 'tag prod: istio-injection=enabled + istio.io/rev=prod -> nothing', scenario: 'c+d', ns: ['app', { 'istio-injection': 'enabled', 'istio.io/rev': 'prod' }], inject: false, revision: null, matched: [] },
  // ---- tag default -> canary with the old default deactivated ----------------------------------------------
  { name: 'tag default: istio-injection=enabled -> canary', scenario: 'tag-default', ns: ['app', { 'istio-injection': 'enabled' }], inject: true, revision: 'canary', matched: [`${TD}:namespace`] },
  { name: 'tag default: istio.io/rev=default -> canary', scenario: 'tag-default', ns: ['app', { 'istio.io/rev': 'default' }], inject: true, revision: 'canary', matched: [`${TD}:rev.namespace`] },
  { name: 'tag default: pod inject=true -> canary', scenario: 'tag-default', ns: ['app', {}], labels: { [INJ]: 'true' }, inject: true, revision: 'canary', matched: [`${TD}:object`] },
  { name: 'tag default: pod istio.io/rev=default -> canary', scenario: 'tag-default', ns: ['app', {}], labels: { 'istio.io/rev': 'default' }, inject: true, revision: 'canary', matched: [`${TD}:rev.object`] },
  { name: 'tag default: istio.io/rev=canary -> canary', scenario: 'tag-default', ns: ['app', { 'istio.io/rev': 'canary' }], inject: true, revision: 'canary', matched: [`${C}:rev.namespace`] },
  { name: 'tag default: plain pod in an unlabelled namespace', scenario: 'tag-default', ns: ['app', {}], inject: false, revision: null, matched: [] },
  // ---- two configurations serving the same selectors ----------------------------------------------------------
  // Called in configuration-name order (tag default first); the default revision's istiod re-injects over the
  // canary injection and overwrites sidecar.istio.io/status (webhook.go reapplyOverwrittenContainers/applyMetadata).
  { name: 'default MWC and tag default both match: the last one called re-injects and decides', scenario: 'a+e', ns: ['app', { 'istio-injection': 'enabled' }], inject: true, revision: 'default', matched: [`${TD}:namespace`, `${D}:namespace`] },
];

describe.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
  it(`-> inject ${row.inject}, revision ${row.revision}`, () => {
    const [nsName, nsLabels] = row.ns;
    const ctx = SCENARIOS[row.scenario]!;
    ctx.namespaces.set(nsName, ns(nsName, nsLabels));
    try {
      const d = decide(ctx, { namespace: nsName, labels: row.labels ?? {}, annotations: row.annotations ?? {}, hostNetwork: row.hostNetwork ?? false });
      expect(d.inject).toBe(row.inject);
      expect(d.revision).toBe(row.revision);
      expect(matchedOf(d)).toEqual(row.matched);
      if (row.inject) expect(injectingOf(d)).toEqual(row.matched);
      else expect(d.injecting).toEqual([]);
      expect(d.reason.length).toBeGreaterThan(0);
    } finally {
      ctx.namespaces.delete(nsName);
    }
  });
});

describe('decide: injector policy on top of the webhooks', () => {
  const withPolicy = (config: Record<string, unknown>) =>
    context({ webhookConfigurations: [webhookConfig('a')], configMaps: [injectorConfigMap({ config })], namespaces: [ns('on', { 'istio-injection': 'enabled' }), ns('off', {})] });

  // [name, injector config, namespace, labels, annotations, inject]
  it.each<[string, Record<string, unknown>, string, Labels, Labels, boolean]>([
    ['policy disabled: enabled namespace, plain pod', { policy: 'disabled' }, 'on', {}, {}, false],
    ['policy disabled: enabled namespace, annotation true', { policy: 'disabled' }, 'on', {}, { [INJ]: 'true' }, true],
    ['policy disabled: label true (object.)', { policy: 'disabled' }, 'off', { [INJ]: 'true' }, {}, true],
    ['policy disabled: alwaysInjectSelector match', { policy: 'disabled', alwaysInjectSelector: [{ matchLabels: { app: 'web' } }] }, 'on', { app: 'web' }, {}, true],
    ['policy enabled: neverInjectSelector match', { neverInjectSelector: [{ matchLabels: { app: 'web' } }] }, 'on', { app: 'web' }, {}, false],
    ['policy enabled: neverInjectSelector match, explicit label true wins', { neverInjectSelector: [{ matchLabels: { app: 'web' } }] }, 'off', { app: 'web', [INJ]: 'true' }, {}, true],
    ['illegal policy "Enabled": nothing is injected', { policy: 'Enabled' }, 'on', {}, { [INJ]: 'true' }, false],
    ['missing policy: nothing is injected', { policy: undefined }, 'off', { [INJ]: 'true' }, {}, false],
  ])('%s', (_name, config, namespace, labels, annotations, inject) => {
    const d = decide(withPolicy(config), { namespace, labels, annotations, hostNetwork: false });
    expect(d.inject).toBe(inject);
    expect(d.matched).toHaveLength(1);
    expect(d.revision).toBe(inject ? 'default' : null);
  });

  it('reports the templates the injecting revision renders and whether they add a proxy', () => {
    const ctx = context({ webhookConfigurations: [webhookConfig('a')], configMaps: goldenCMs, namespaces: [ns('on', { 'istio-injection': 'enabled' })] });
    const plain = decide(ctx, { namespace: 'on', labels: {}, annotations: {}, hostNetwork: false });
    expect(plain.templates).toEqual(['sidecar']);
    expect(plain.addsProxy).toBe(true);
    const grpc = decide(ctx, { namespace: 'on', labels: {}, annotations: { 'inject.istio.io/templates': 'grpc-simple' }, hostNetwork: false });
    expect(grpc.templates).toEqual(['grpc-simple']);
    expect(grpc.addsProxy).toBe(false);
    const gw = decide(ctx, { namespace: 'on', labels: {}, annotations: { 'inject.istio.io/templates': 'gateway' }, hostNetwork: false });
    expect(gw.addsProxy).toBe(true);
  });

  it('a namespace missing from the state is treated as unlabelled (still matched by metadata.name)', () => {
    const ctx = context({ webhookConfigurations: [webhookConfig('b')], configMaps: goldenCMs });
    expect(decide(ctx, { namespace: 'ghost', labels: {}, annotations: {}, hostNetwork: false }).inject).toBe(true);
    expect(decide(ctx, { namespace: 'kube-system', labels: {}, annotations: {}, hostNetwork: false }).matched).toEqual([]);
  });

  it('no webhook at all: nothing is injected and the reason says so', () => {
    const d = decide(context({ namespaces: [ns('on', { 'istio-injection': 'enabled' })] }), { namespace: 'on', labels: {}, annotations: {}, hostNetwork: false });
    expect(d.inject).toBe(false);
    expect(d.reason).toMatch(/no sidecar injection webhook/);
  });
});

describe('cluster context: injectors per revision', () => {
  it('one injector per revision, tags attached to the revision they route to, ConfigMap by revision', () => {
    const ctx = context({ webhookConfigurations: [webhookConfig('a'), webhookConfig('c'), webhookConfig('d')], configMaps: [...goldenCMs, canaryCM] });
    expect([...ctx.injectors.keys()].sort()).toEqual(['canary', 'default']);
    const canary = ctx.injectors.get('canary')!;
    expect(canary.configMapName).toBe('istio-sidecar-injector-canary');
    expect(canary.tags).toEqual(['prod']);
    expect([...canary.configurations].sort()).toEqual(['istio-revision-tag-prod', 'istio-sidecar-injector-canary']);
    expect(canary.config?.configMap).toBe('istio-system/istio-sidecar-injector-canary');
    const def = ctx.injectors.get('default')!;
    expect(def.configMapName).toBe('istio-sidecar-injector');
    expect(def.tags).toEqual([]);
    expect(def.mesh.rootNamespace).toBe('istio-control');
    expect(ctx.findings).toEqual([]);
    expect([...ctx.served].sort()).toEqual([['canary', 'canary'], ['default', 'default'], ['prod', 'canary']]);
  });

  it('a tag has no ConfigMap of its own: tag default uses the canary ConfigMap', () => {
    const ctx = context({ webhookConfigurations: [webhookConfig('e')], configMaps: [canaryCM] });
    expect([...ctx.injectors.keys()]).toEqual(['canary']);
    expect(ctx.injectors.get('canary')!.tags).toEqual(['default']);
    expect(ctx.injectors.get('canary')!.config?.configMap).toBe('istio-system/istio-sidecar-injector-canary');
  });

  it('the injector ConfigMap is looked up in the namespace of the istiod service', () => {
    const raw = rawWebhook('c');
    for (const w of raw.webhooks) w.clientConfig.service.namespace = 'mesh';
    const inMesh = { ...canaryCM, namespace: 'mesh' };
    const ctx = context({ webhookConfigurations: [webhookConfigurationRecord(raw)], configMaps: [canaryCM, inMesh] });
    const inj = ctx.injectors.get('canary')!;
    expect(inj.istioNamespace).toBe('mesh');
    expect(inj.config?.configMap).toBe('mesh/istio-sidecar-injector-canary');
    const elsewhere = context({ webhookConfigurations: [webhookConfigurationRecord(raw)], configMaps: [canaryCM] });
    expect(elsewhere.injectors.get('canary')!.config).toBeNull();
  });

  it('a missing injector ConfigMap is a finding and decisions assume policy enabled', () => {
    const ctx = context({ webhookConfigurations: [webhookConfig('c')], namespaces: [ns('app', { 'istio.io/rev': 'canary' })] });
    expect(ctx.injectors.get('canary')!.config).toBeNull();
    expect(ctx.findings.map((f) => f.code)).toEqual(['MissingInjectorConfig']);
    expect(decide(ctx, { namespace: 'app', labels: {}, annotations: {}, hostNetwork: false }).inject).toBe(true);
  });

  it('the injector\'s last change is its ConfigMap\'s (webhook configurations are checked per pod)', () => {
    const cm = { ...canaryCM, lastChange: '2024-03-01T00:00:00Z' };
    const ctx = context({ webhookConfigurations: [webhookConfig('c', '2024-02-01T00:00:00Z'), webhookConfig('d', '2024-04-01T00:00:00Z')], configMaps: [cm] });
    expect(ctx.injectors.get('canary')!.lastChange).toBe('2024-03-01T00:00:00Z');
    expect(ctx.hooks.filter((h) => h.configuration === 'istio-revision-tag-prod').map((h) => h.lastChange)).toEqual(['2024-04-01T00:00:00Z', '2024-04-01T00:00:00Z']);
  });
});

describe('decideCached: one decision per shape of what a decision reads', () => {
  // Policy disabled, so the selectors decide: team=legacy is never injected, tier in (edge) always.
  const cm = injectorConfigMap({
    config: {
      policy: 'disabled',
      neverInjectSelector: [{ matchLabels: { team: 'legacy' } }],
      alwaysInjectSelector: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge'] }] }],
    },
  });
  const ctx = () => context({ webhookConfigurations: [webhookConfig('a')], configMaps: [...goldenCMs.filter((c) => c.name === 'istio'), cm], namespaces: [ns('shop', { 'istio-injection': 'enabled' }), ns('other')] });

  it('keys on the labels selectors name and the injector reads, never on the others', () => {
    const c = ctx();
    expect(c.decisionLabelKeys).toEqual(expect.arrayContaining(['istio.io/rev', 'sidecar.istio.io/inject', 'team', 'tier']));
    expect(c.decisionLabelKeys).not.toContain('app');
    expect(c.decisionLabelKeys).not.toContain('pod-template-hash');
  });

  it('agrees with decide() for every combination, sharing decisions between pods that differ only elsewhere', () => {
    const c = ctx();
    const values = {
      app: [undefined, 'cart', 'web'],
      'pod-template-hash': [undefined, '5d8f', '77aa'],
      team: [undefined, 'legacy', 'shop'],
      tier: [undefined, 'edge', ''],
      [INJ]: [undefined, 'true', 'false', 'yes'],
    } as Record<string, (string | undefined)[]>;
    const combos: Labels[] = [{}];
    for (const [key, options] of Object.entries(values)) {
      const next: Labels[] = [];
      for (const labels of combos) for (const v of options) next.push(v === undefined ? labels : { ...labels, [key]: v });
      combos.splice(0, combos.length, ...next);
    }
    const relevant = new Set<string>();
    for (const namespace of ['shop', 'other']) {
      for (const labels of combos) {
        for (const annotations of [{}, { [INJ]: 'true' }] as Labels[]) {
          const pod = { namespace, labels, annotations, hostNetwork: false };
          const cached = decideCached(c, pod);
          const fresh = decide(c, pod);
          expect({ inject: cached.inject, revision: cached.revision, reason: cached.reason }).toEqual({ inject: fresh.inject, revision: fresh.revision, reason: fresh.reason });
          relevant.add(JSON.stringify([namespace, labels.team, labels.tier, labels[INJ], annotations]));
        }
      }
    }
    expect(c.decisions.size).toBe(relevant.size);
    // The selectors really decide here: the same namespace, policy disabled, three outcomes.
    const shop = (labels: Labels) => decideCached(c, { namespace: 'shop', labels, annotations: {}, hostNetwork: false }).inject;
    expect([shop({ app: 'a' }), shop({ app: 'a', tier: 'edge' }), shop({ tier: 'edge', team: 'legacy' }), shop({ [INJ]: 'true', team: 'legacy' })]).toEqual([false, true, false, true]);
  });
});

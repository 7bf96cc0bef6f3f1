// One namespace: the revision a plain pod gets there, ConflictingLabels counted like Istio's analyzer (IST0123),
// UnknownRevision, NoInjector, ambient.
import { describe, expect, it } from 'vitest';
import type { ClusterContext } from '../../src/engine/cluster-context.js';
import { auditNamespace } from '../../src/engine/namespace-audit.js';
import type { Labels, WebhookConfigurationRecord } from '../../src/engine/types.js';
import { codes, context, deactivatedWebhookConfig, fixtureConfigMaps, GOLDEN, injectorConfigMap, ns, webhookConfig } from './helpers.js';

const CMS = [...fixtureConfigMaps(GOLDEN), injectorConfigMap({ revision: 'canary' })];
function world(webhooks: WebhookConfigurationRecord[], name: string, labels: Labels): ClusterContext {
  return context({ webhookConfigurations: webhooks, configMaps: CMS, namespaces: [ns(name, labels)] });
}

const ACD = [webhookConfig('a'), webhookConfig('c'), webhookConfig('d')];
const INJ = 'istio-injection';
const REV = 'istio.io/rev';
const DPM = 'istio.io/dataplane-mode';

describe('revision a plain pod gets in the namespace', () => {
  it.each<[string, WebhookConfigurationRecord[], string, Labels, string | null]>([
    ['unlabelled', ACD, 'app', {}, null],
    ['istio-injection=enabled', ACD, 'app', { [INJ]: 'enabled' }, 'default'],
    ['istio-injection=disabled', ACD, 'app', { [INJ]: 'disabled' }, null],
    ['istio.io/rev=default', ACD, 'app', { [REV]: 'default' }, 'default'],
    ['istio.io/rev=canary', ACD, 'app', { [REV]: 'canary' }, 'canary'],
    ['istio.io/rev=prod (tag -> canary)', ACD, 'app', { [REV]: 'prod' }, 'canary'],
    ['istio.io/rev=unknown', ACD, 'app', { [REV]: 'unknown' }, null],
    ['istio-injection=enabled beats istio.io/rev=canary', ACD, 'app', { [INJ]: 'enabled', [REV]: 'canary' }, 'default'],
    ['istio-injection=disabled blocks istio.io/rev=canary', ACD, 'app', { [INJ]: 'disabled', [REV]: 'canary' }, null],
    ['kube-system labelled enabled: the injector ignores it', ACD, 'kube-system', { [INJ]: 'enabled' }, null],
    ['enableNamespacesByDefault: unlabelled namespace', [webhookConfig('b')], 'app', {}, 'default'],
    ['enableNamespacesByDefault: kube-system', [webhookConfig('b')], 'kube-system', {}, null],
    ['tag default -> canary: istio-injection=enabled', [deactivatedWebhookConfig('a'), webhookConfig('c'), webhookConfig('e')], 'app', { [INJ]: 'enabled' }, 'canary'],
  ])('%s -> %s', (_name, webhooks, name, labels, revision) => {
    expect(auditNamespace(world(webhooks, name, labels), name).revision).toBe(revision);
  });

  it('reports the injection labels it found', () => {
    const audit = auditNamespace(world(ACD, 'app', { [INJ]: 'enabled', [REV]: 'canary', [DPM]: 'ambient', team: 'x' }), 'app');
    expect(audit.labels).toEqual({ [INJ]: 'enabled', [REV]: 'canary', [DPM]: 'ambient' });
    expect(audit.name).toBe('app');
  });
});

describe('ConflictingLabels (IST0123: istio.io/rev and dataplane-mode count only when istio-injection is absent or "enabled")', () => {
  it.each<[Labels, boolean]>([
    [{}, false],
    [{ [INJ]: 'enabled' }, false],
    [{ [REV]: 'canary' }, false],
    [{ [DPM]: 'ambient' }, false],
    [{ [INJ]: 'enabled', [REV]: 'canary' }, true],
    [{ [INJ]: 'enabled', [DPM]: 'ambient' }, true],
    [{ [REV]: 'canary', [DPM]: 'ambient' }, true],
    [{ [INJ]: 'enabled', [REV]: 'canary', [DPM]: 'ambient' }, true],
    [{ [REV]: 'canary', [DPM]: 'none' }, true],
    [{ [INJ]: 'disabled', [REV]: 'canary' }, false],
    [{ [INJ]: 'disabled', [DPM]: 'ambient' }, false],
    [{ [INJ]: 'disabled', [REV]: 'canary', [DPM]: 'ambient' }, false],
    [{ [INJ]: 'foo', [REV]: 'canary' }, false],
    [{ [INJ]: 'Enabled', [REV]: 'canary' }, false],
  ])('%j -> conflict %s', (labels, conflict) => {
    const audit = auditNamespace(world(ACD, 'app', labels), 'app');
    expect(audit.findings.filter((f) => f.code === 'ConflictingLabels')).toHaveLength(conflict ? 1 : 0);
  });

  it('says that istio-injection wins over istio.io/rev', () => {
    const f = auditNamespace(world(ACD, 'app', { [INJ]: 'enabled', [REV]: 'canary' }), 'app').findings.find((x) => x.code === 'ConflictingLabels')!;
    expect(f.message).toContain('istio-injection wins over istio.io/rev');
  });
});

describe('UnknownRevision: "istio.io/rev names no revision or tag that any webhook serves"', () => {
  it.each<[string, WebhookConfigurationRecord[], Labels, boolean]>([
    ['rev=nope', ACD, { [REV]: 'nope' }, true],
    ['rev=canary', ACD, { [REV]: 'canary' }, false],
    ['rev=prod (tag)', ACD, { [REV]: 'prod' }, false],
    ['rev=prod without the tag', [webhookConfig('a'), webhookConfig('c')], { [REV]: 'prod' }, true],
    ['rev=default with a revision-only install', [webhookConfig('c')], { [REV]: 'default' }, true],
    ['rev=default served by the tag default', [deactivatedWebhookConfig('a'), webhookConfig('c'), webhookConfig('e')], { [REV]: 'default' }, false],
    ['rev=default served only by a deactivated configuration', [deactivatedWebhookConfig('a'), webhookConfig('c')], { [REV]: 'default' }, true],
    ['rev=nope next to istio-injection=enabled', ACD, { [INJ]: 'enabled', [REV]: 'nope' }, true],
    ['no istio.io/rev', ACD, { [INJ]: 'enabled' }, false],
  ])('%s -> %s', (_name, webhooks, labels, unknown) => {
    const audit = auditNamespace(world(webhooks, 'app', labels), 'app');
    expect(audit.findings.filter((f) => f.code === 'UnknownRevision')).toHaveLength(unknown ? 1 : 0);
  });
});

describe('NoInjector: "no sidecar injection webhook in the cluster"', () => {
  it.each<[string, WebhookConfigurationRecord[], Labels, string[]]>([
    ['no webhooks, istio-injection=enabled', [], { [INJ]: 'enabled' }, ['NoInjector']],
    ['no webhooks, istio.io/rev=canary', [], { [REV]: 'canary' }, ['NoInjector']],
    ['no webhooks, unlabelled', [], {}, []],
    ['no webhooks, istio-injection=disabled', [], { [INJ]: 'disabled' }, []],
    ['revision-only install, istio-injection=enabled', [webhookConfig('c')], { [INJ]: 'enabled' }, ['NoInjector']],
    ['default install, istio-injection=enabled', [webhookConfig('a')], { [INJ]: 'enabled' }, []],
    ['tag default, istio-injection=enabled', [deactivatedWebhookConfig('a'), webhookConfig('c'), webhookConfig('e')], { [INJ]: 'enabled' }, []],
  ])('%s -> %j', (_name, webhooks, labels, expected) => {
    const audit = auditNamespace(world(webhooks, 'app', labels), 'app');
    expect(codes(audit.findings.filter((f) => f.code === 'NoInjector'))).toEqual(expected);
  });
});

describe('ambient: dataplane-mode=ambient without istio-injection=enabled and without a non-empty istio.io/rev', () => {
  it.each<[Labels, boolean]>([
    [{ [DPM]: 'ambient' }, true],
    [{ [DPM]: 'ambient', [INJ]: 'enabled' }, false],
    [{ [DPM]: 'ambient', [INJ]: 'disabled' }, true],
    [{ [DPM]: 'ambient', [REV]: 'canary' }, false],
    [{ [DPM]: 'ambient', [REV]: '' }, true],
    [{ [DPM]: 'none' }, false],
    [{}, false],
  ])('%j -> %s', (labels, ambient) => {
    expect(auditNamespace(world(ACD, 'app', labels), 'app').ambient).toBe(ambient);
  });
});

describe('a namespace not in the state', () => {
  it('is audited as unlabelled', () => {
    const audit = auditNamespace(context({ webhookConfigurations: [webhookConfig('b')], configMaps: CMS }), 'ghost');
    expect(audit).toMatchObject({ name: 'ghost', revision: 'default', labels: {}, ambient: false, findings: [] });
  });
});

// Gate 2: Istio's injectRequired (pkg/kube/inject/inject.go), rule by rule, in Istio's order.
import { describe, expect, it } from 'vitest';
import { parseInjectorConfig, type InjectorConfig } from '../../src/engine/injector-config.js';
import { explicitInjectValue, IGNORED_NAMESPACES, injectRequired, type PolicyInput } from '../../src/engine/injector-policy.js';
import type { LabelSelector, Labels } from '../../src/engine/types.js';
import { injectorConfigMap } from './helpers.js';

function config(opts: { policy?: string | null; never?: unknown[]; always?: unknown[] } = {}): InjectorConfig {
  const body: Record<string, unknown> = { alwaysInjectSelector: opts.always ?? [], neverInjectSelector: opts.never ?? [] };
  if (opts.policy !== null) body.policy = opts.policy ?? 'enabled';
  else body.policy = undefined;
  const cm = injectorConfigMap({ config: body });
  return parseInjectorConfig(cm, 'default');
}

function input(p: Partial<PolicyInput> = {}): PolicyInput {
  return { namespace: 'demo', hostNetwork: false, labels: {}, annotations: {}, ...p };
}

const INJECT = 'sidecar.istio.io/inject';
const label = (v: string): Labels => ({ [INJECT]: v });
const ann = (v: string): Labels => ({ [INJECT]: v });

describe('rule 1: hostNetwork', () => {
  it.each<[string, InjectorConfig, Partial<PolicyInput>]>([
    ['policy enabled', config(), {}],
    ['explicit label true', config(), { labels: label('true') }],
    ['explicit annotation true', config({ policy: 'disabled' }), { annotations: ann('true') }],
    ['alwaysInjectSelector match', config({ always: [{ matchLabels: { app: 'web' } }] }), { labels: { app: 'web' } }],
  ])('hostNetwork pods are never injected (%s)', (_name, cfg, p) => {
    const d = injectRequired(cfg, input({ ...p, hostNetwork: true }));
    expect(d.inject).toBe(false);
    expect(d.steps.map((s) => s.check)).toEqual(['spec.hostNetwork']);
    expect(d.steps[0]!.decisive).toBe(true);
  });
});

describe('rule 2: ignored namespaces', () => {
  it('the list is exactly kube-system, kube-public, kube-node-lease, local-path-storage', () => {
    expect([...IGNORED_NAMESPACES].sort()).toEqual(['kube-node-lease', 'kube-public', 'kube-system', 'local-path-storage']);
  });

  it.each(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage'])('%s: never injected, even with label true', (namespace) => {
    const d = injectRequired(config(), input({ namespace, labels: label('true'), annotations: ann('true') }));
    expect(d.inject).toBe(false);
    expect(d.steps.map((s) => s.check)).toEqual(['spec.hostNetwork', 'ignored namespaces']);
    expect(d.steps.find((s) => s.decisive)?.check).toBe('ignored namespaces');
  });

  it.each(['istio-system', 'default', 'kube-systems', 'Kube-System'])('%s is not ignored', (namespace) => {
    expect(injectRequired(config(), input({ namespace })).inject).toBe(true);
  });

  it('hostNetwork is checked before the namespace', () => {
    const d = injectRequired(config(), input({ namespace: 'kube-system', hostNetwork: true }));
    expect(d.steps.find((s) => s.decisive)?.check).toBe('spec.hostNetwork');
  });
});

describe('rule 3: the explicit sidecar.istio.io/inject value', () => {
  it.each<[string, Labels, Labels, { value: string | undefined; from: 'label' | 'annotation' | null }]>([
    ['nothing', {}, {}, { value: undefined, from: null }],
    ['annotation only', {}, ann('true'), { value: 'true', from: 'annotation' }],
    ['label only', label('false'), {}, { value: 'false', from: 'label' }],
    ['label wins over annotation', label('false'), ann('true'), { value: 'false', from: 'label' }],
    ['label "" still replaces the annotation', label(''), ann('true'), { value: '', from: 'label' }],
  ])('explicitInjectValue: %s', (_name, labels, annotations, expected) => {
    expect(explicitInjectValue(labels, annotations)).toEqual(expected);
  });

  // [name, policy, labels, annotations, expected]
  it.each<[string, string, Labels, Labels, boolean]>([
    ['annotation "true" beats policy disabled', 'disabled', {}, ann('true'), true],
    ['annotation "false" beats policy enabled', 'enabled', {}, ann('false'), false],
    ['label "true" beats policy disabled', 'disabled', label('true'), {}, true],
    ['label "false" beats policy enabled', 'enabled', label('false'), {}, false],
    ['label "true" wins over annotation "false"', 'disabled', label('true'), ann('false'), true],
    ['label "false" wins over annotation "true"', 'enabled', label('false'), ann('true'), false],
    ['label "" wins over annotation "true" (unset -> policy disabled)', 'disabled', label(''), ann('true'), false],
    ['label "" wins over annotation "false" (unset -> policy enabled)', 'enabled', label(''), ann('false'), true],
    ['label "yes" wins over annotation "true" (unset -> policy disabled)', 'disabled', label('yes'), ann('true'), false],
    ['label "True" wins over annotation "false" (unset -> policy enabled)', 'enabled', label('True'), ann('false'), true],
  ])('%s', (_name, policy, labels, annotations, expected) => {
    expect(injectRequired(config({ policy }), input({ labels, annotations })).inject).toBe(expected);
  });

  // Only exactly "true"/"false" count; anything else is treated as unset, i.e. the policy decides.
  const notExplicit = ['', 'True', 'TRUE', 'yes', 'y', 'on', '1', 'False', 'FALSE', 'no', 'n', 'off', '0', 'random', ' true', 'true '];
  it.each(notExplicit)('annotation %j is treated as unset (policy enabled -> inject, disabled -> skip)', (value) => {
    expect(injectRequired(config({ policy: 'enabled' }), input({ annotations: ann(value) })).inject).toBe(true);
    expect(injectRequired(config({ policy: 'disabled' }), input({ annotations: ann(value) })).inject).toBe(false);
  });
  it.each(notExplicit)('label %j is treated as unset too', (value) => {
    expect(injectRequired(config({ policy: 'enabled' }), input({ labels: label(value) })).inject).toBe(true);
    expect(injectRequired(config({ policy: 'disabled' }), input({ labels: label(value) })).inject).toBe(false);
  });

  it('an explicit value is decisive and skips the selectors', () => {
    const d = injectRequired(config({ policy: 'disabled', never: [{ matchLabels: { app: 'web' } }] }), input({ labels: { app: 'web' }, annotations: ann('true') }));
    expect(d.inject).toBe(true);
    expect(d.steps.map((s) => s.check)).toEqual(['spec.hostNetwork', 'ignored namespaces', INJECT, 'policy']);
    expect(d.steps.filter((s) => s.decisive).map((s) => s.check)).toEqual([INJECT]);
  });
});

describe('rules 4 and 5: neverInjectSelector, then alwaysInjectSelector', () => {
  const web = { matchLabels: { app: 'web' } };
  const db = { matchLabels: { app: 'db' } };
  const tierExists = { matchExpressions: [{ key: 'tier', operator: 'Exists' }] };
  const invalid = { matchExpressions: [{ key: 'app', operator: 'Foo', values: ['web'] }] };

  // [name, policy, never, always, pod labels, pod annotations, expected inject, decisive check]
  it.each<[string, string, unknown[], unknown[], Labels, Labels, boolean, string]>([
    ['never match -> skip (policy enabled)', 'enabled', [web], [], { app: 'web' }, {}, false, 'neverInjectSelector'],
    ['never does not match -> policy', 'enabled', [web], [], { app: 'api' }, {}, true, 'policy'],
    ['always match -> inject (policy disabled)', 'disabled', [], [web], { app: 'web' }, {}, true, 'alwaysInjectSelector'],
    ['always does not match -> policy', 'disabled', [], [web], { app: 'api' }, {}, false, 'policy'],
    ['never beats always when both match', 'enabled', [web], [web], { app: 'web' }, {}, false, 'neverInjectSelector'],
    ['never beats always (different selectors)', 'disabled', [tierExists], [web], { app: 'web', tier: 'x' }, {}, false, 'neverInjectSelector'],
    ['never entries are OR-ed (second matches)', 'enabled', [db, web], [], { app: 'web' }, {}, false, 'neverInjectSelector'],
    ['always entries are OR-ed (second matches)', 'disabled', [], [db, tierExists], { tier: 'x' }, {}, true, 'alwaysInjectSelector'],
    ['an empty {} never selector never matches', 'enabled', [{}], [], { app: 'web' }, {}, true, 'policy'],
    ['an empty {} always selector never matches', 'disabled', [], [{}], { app: 'web' }, {}, false, 'policy'],
    ['a null selector entry is empty and never matches', 'disabled', [], [null], {}, {}, false, 'policy'],
    ['an unparsable never selector is skipped', 'enabled', [invalid], [], { app: 'web' }, {}, true, 'policy'],
    ['an unparsable never selector is skipped, the next one still applies', 'enabled', [invalid, web], [], { app: 'web' }, {}, false, 'neverInjectSelector'],
    ['an unparsable always selector is skipped', 'disabled', [], [invalid], { app: 'web' }, {}, false, 'policy'],
    ['explicit "true" beats a never match', 'enabled', [web], [], { app: 'web' }, ann('true'), true, INJECT],
    ['explicit "false" beats an always match', 'enabled', [], [web], { app: 'web' }, ann('false'), false, INJECT],
    ['an invalid explicit value does not stop the selectors', 'disabled', [], [web], { app: 'web' }, ann('yes'), true, 'alwaysInjectSelector'],
    ['selectors look at labels, not annotations', 'disabled', [], [web], {}, { app: 'web' }, false, 'policy'],
    ['a NotIn never selector matches pods without the label', 'enabled', [{ matchExpressions: [{ key: 'mesh', operator: 'NotIn', values: ['yes'] }] }], [], {}, {}, false, 'neverInjectSelector'],
    // labels.NewRequirement rejects an invalid value, so LabelSelectorAsSelector fails and istiod skips the entry.
    ['a never selector with an invalid value is skipped', 'enabled', [{ matchExpressions: [{ key: 'mesh', operator: 'NotIn', values: ['not valid!'] }] }], [], {}, {}, true, 'policy'],
  ])('%s', (_name, policy, never, always, labels, annotations, expected, decisive) => {
    const d = injectRequired(config({ policy, never, always }), input({ labels, annotations }));
    expect(d.inject).toBe(expected);
    expect(d.steps.filter((s) => s.decisive).map((s) => s.check)).toEqual([decisive]);
  });

  it('evaluates in Istio order: hostNetwork, namespace, explicit value, never, always, policy', () => {
    const d = injectRequired(config({ never: [{ matchLabels: { app: 'db' } }], always: [{ matchLabels: { app: 'db' } }] }), input({ labels: { app: 'web' } }));
    expect(d.steps.map((s) => s.check)).toEqual(['spec.hostNetwork', 'ignored namespaces', INJECT, 'neverInjectSelector', 'alwaysInjectSelector', 'policy']);
    expect(d.inject).toBe(true);
  });

  it('a never match stops before alwaysInjectSelector', () => {
    const d = injectRequired(config({ never: [web], always: [web] }), input({ labels: { app: 'web' } }));
    expect(d.steps.map((s) => s.check)).not.toContain('alwaysInjectSelector');
  });
});

describe('rule 6: the policy', () => {
  it.each<[string, string | null, Labels, Labels, unknown[], boolean]>([
    ['enabled, nothing set', 'enabled', {}, {}, [], true],
    ['disabled, nothing set', 'disabled', {}, {}, [], false],
    ['disabled, explicit true', 'disabled', {}, ann('true'), [], true],
    ['enabled, explicit false', 'enabled', label('false'), {}, [], false],
    // Illegal policies: false for every pod, even with an explicit "true" or an always match.
    ['missing policy, nothing set', null, {}, {}, [], false],
    ['missing policy, explicit annotation true', null, {}, ann('true'), [], false],
    ['missing policy, explicit label true', null, label('true'), {}, [], false],
    ['missing policy, always match', null, { app: 'web' }, {}, [{ matchLabels: { app: 'web' } }], false],
    ['empty policy, explicit true', '', label('true'), {}, [], false],
    ['"Enabled", nothing set', 'Enabled', {}, {}, [], false],
    ['"Enabled", explicit true', 'Enabled', {}, ann('true'), [], false],
    ['"ENABLED", explicit true', 'ENABLED', label('true'), {}, [], false],
    ['"Disabled", explicit true', 'Disabled', label('true'), {}, [], false],
    ['"true", explicit true', 'true', label('true'), {}, [], false],
    ['"on", nothing set', 'on', {}, {}, [], false],
  ])('%s -> %s', (_name, policy, labels, annotations, always, expected) => {
    const d = injectRequired(config({ policy, always }), input({ labels, annotations }));
    expect(d.inject).toBe(expected);
  });

  it('an illegal policy is the decisive step', () => {
    const d = injectRequired(config({ policy: 'Enabled' }), input({ annotations: ann('true') }));
    expect(d.steps.filter((s) => s.decisive).map((s) => s.check)).toEqual(['policy']);
    expect(d.rule).toContain('illegal');
  });
});

describe('decisions use only the pod\'s own labels and annotations', () => {
  it('the same pod in two namespaces differs only by the ignored list', () => {
    const cfg = config({ always: [{ matchLabels: { app: 'web' } } as LabelSelector], policy: 'disabled' });
    expect(injectRequired(cfg, input({ namespace: 'prod', labels: { app: 'web' } })).inject).toBe(true);
    expect(injectRequired(cfg, input({ namespace: 'kube-public', labels: { app: 'web' } })).inject).toBe(false);
  });
});

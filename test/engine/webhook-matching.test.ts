// Gate 1: which Istio injection webhook the API server calls, on the real rendered webhook configurations
// (test/fixtures/istio/webhooks: a default, b default+enableNamespacesByDefault, c revision canary,
// d tag prod -> canary, e tag default -> canary).
import { describe, expect, it } from 'vitest';
import { webhookConfigurationRecord } from '../../src/cluster/records.js';
import {
  collectInjectionWebhooks,
  evaluateWebhook,
  isInjectionWebhookName,
  namespaceSelectorLabels,
  ruleInterceptsPodCreate,
  servedRevisions,
  webhookMatches,
  type InjectionWebhook,
} from '../../src/engine/webhook-matching.js';
import type { Labels, RuleRecord, WebhookConfigurationRecord } from '../../src/engine/types.js';
import { deactivate, deactivatedWebhookConfig, rawWebhook, webhookConfig, type WebhookKey } from './helpers.js';

// ---------------------------------------------------------------------------------------------------------
// The truth table. Namespaces (name + labels) x pods (labels) -> matching webhooks, per configuration.
// ---------------------------------------------------------------------------------------------------------
const NAMESPACES: Record<string, { name: string; labels: Labels }> = {
  'none': { name: 'app', labels: {} },
  'injection=enabled': { name: 'app', labels: { 'istio-injection': 'enabled' } },
  'injection=disabled': { name: 'app', labels: { 'istio-injection': 'disabled' } },
  'injection=Enabled': { name: 'app', labels: { 'istio-injection': 'Enabled' } },
  'rev=default': { name: 'app', labels: { 'istio.io/rev': 'default' } },
  'rev=canary': { name: 'app', labels: { 'istio.io/rev': 'canary' } },
  'rev=prod': { name: 'app', labels: { 'istio.io/rev': 'prod' } },
  'rev=unknown': { name: 'app', labels: { 'istio.io/rev': 'unknown' } },
  'enabled+rev=canary': { name: 'app', labels: { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' } },
  'enabled+rev=default': { name: 'app', labels: { 'istio-injection': 'enabled', 'istio.io/rev': 'default' } },
  'disabled+rev=canary': { name: 'app', labels: { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' } },
  'disabled+rev=default': { name: 'app', labels: { 'istio-injection': 'disabled', 'istio.io/rev': 'default' } },
  'dataplane-mode=ambient': { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient' } },
  'kube-system': { name: 'kube-system', labels: {} },
  'kube-public': { name: 'kube-public', labels: {} },
  'kube-node-lease': { name: 'kube-node-lease', labels: {} },
  'local-path-storage': { name: 'local-path-storage', labels: {} },
  'istio-system': { name: 'istio-system', labels: {} },
  'kube-system+enabled': { name: 'kube-system', labels: { 'istio-injection': 'enabled' } },
};
type NsKey = keyof typeof NAMESPACES;

const PODS: Record<string, Labels> = {
  'none': {},
  'inject=true': { 'sidecar.istio.io/inject': 'true' },
  'inject=false': { 'sidecar.istio.io/inject': 'false' },
  'inject=""': { 'sidecar.istio.io/inject': '' },
  'inject=True': { 'sidecar.istio.io/inject': 'True' },
  'rev=default': { 'istio.io/rev': 'default' },
  'rev=canary': { 'istio.io/rev': 'canary' },
  'rev=prod': { 'istio.io/rev': 'prod' },
  'inject=true+rev=canary': { 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary' },
  'inject=true+rev=default': { 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'default' },
  'inject=false+rev=canary': { 'sidecar.istio.io/inject': 'false', 'istio.io/rev': 'canary' },
  'dataplane-mode=ambient': { 'istio.io/dataplane-mode': 'ambient' },
};
type PodKey = keyof typeof PODS;

const RN = 'rev.namespace.sidecar-injector.istio.io';
const RO = 'rev.object.sidecar-injector.istio.io';
const NS = 'namespace.sidecar-injector.istio.io';
const OB = 'object.sidecar-injector.istio.io';
const AU = 'auto.sidecar-injector.istio.io';

/** Pods whose labels pass `sidecar.istio.io/inject NotIn [false]`. */
const NOT_FALSE: PodKey[] = (Object.keys(PODS) as PodKey[]).filter((p) => PODS[p]!['sidecar.istio.io/inject'] !== 'false');
const all = (hook: string, pods: PodKey[] = NOT_FALSE): Partial<Record<PodKey, string[]>> =>
  Object.fromEntries(pods.map((p) => [p, [hook]]));

type Matrix = Partial<Record<NsKey, Partial<Record<PodKey, string[]>>>>;

// Ns with neither label (any name): rev.object for pod rev=R (and inject != false); object. for inject=true without rev.
const unlabelledDefault: Partial<Record<PodKey, string[]>> = {
  'inject=true': [OB],
  'rev=default': [RO],
  'inject=true+rev=default': [RO],
};

// (a) default revision: rev.namespace/rev.object for "default", namespace., object.
const A: Matrix = {
  'none': unlabelledDefault,
  'dataplane-mode=ambient': unlabelledDefault, // the sidecar webhooks ignore istio.io/dataplane-mode
  'kube-system': unlabelledDefault, // object./rev.object. do not exclude kube-system; injectRequired does
  'kube-public': unlabelledDefault,
  'kube-node-lease': unlabelledDefault,
  'local-path-storage': unlabelledDefault,
  'istio-system': unlabelledDefault,
  'injection=enabled': all(NS),
  'kube-system+enabled': all(NS),
  'enabled+rev=canary': all(NS), // istio-injection beats istio.io/rev
  'enabled+rev=default': all(NS), // rev.namespace requires istio-injection to be absent
  'rev=default': all(RN), // the namespace's istio.io/rev beats the pod's
};

// (b) = (a) + auto. (ns with neither label, not a system namespace; pod with neither label)
const autoPods = { 'none': [AU], 'dataplane-mode=ambient': [AU] };
const B: Matrix = {
  ...A,
  'none': { ...unlabelledDefault, ...autoPods },
  'dataplane-mode=ambient': { ...unlabelledDefault, ...autoPods },
  'istio-system': { ...unlabelledDefault, ...autoPods },
};

// (c) revision canary: only rev.namespace / rev.object with value canary.
const unlabelledCanary = { 'rev=canary': [RO], 'inject=true+rev=canary': [RO] };
const C: Matrix = {
  'none': unlabelledCanary,
  'dataplane-mode=ambient': unlabelledCanary,
  'kube-system': unlabelledCanary,
  'kube-public': unlabelledCanary,
  'kube-node-lease': unlabelledCanary,
  'local-path-storage': unlabelledCanary,
  'istio-system': unlabelledCanary,
  'rev=canary': all(RN),
};

// (d) tag prod -> canary: the same two webhooks selecting value prod.
const unlabelledProd = { 'rev=prod': [RO] };
const D: Matrix = {
  'none': unlabelledProd,
  'dataplane-mode=ambient': unlabelledProd,
  'kube-system': unlabelledProd,
  'kube-public': unlabelledProd,
  'kube-node-lease': unlabelledProd,
  'local-path-storage': unlabelledProd,
  'istio-system': unlabelledProd,
  'rev=prod': all(RN),
};

// (e) tag default -> canary: exactly the webhooks of (a) (value default, plus namespace./object.).
const E: Matrix = A;

const CONFIGS: [WebhookKey, string, string, string | null, Matrix][] = [
  ['a', 'istio-sidecar-injector', 'default', null, A],
  ['b', 'istio-sidecar-injector', 'default', null, B],
  ['c', 'istio-sidecar-injector-canary', 'canary', null, C],
  ['d', 'istio-revision-tag-prod', 'canary', 'prod', D],
  ['e', 'istio-revision-tag-default', 'canary', 'default', E],
];

function matching(hooks: InjectionWebhook[], nsKey: NsKey, podKey: PodKey): InjectionWebhook[] {
  const n = NAMESPACES[nsKey]!;
  return hooks.filter((h) => webhookMatches(h, namespaceSelectorLabels(n.name, n.labels), PODS[podKey]!));
}

describe.each(CONFIGS)('truth table of configuration (%s) %s', (key, configuration, revision, tag, matrix) => {
  const hooks = collectInjectionWebhooks([webhookConfig(key)]);
  const rows: [NsKey, PodKey, string[]][] = [];
  for (const nsKey of Object.keys(NAMESPACES) as NsKey[]) {
    for (const podKey of Object.keys(PODS) as PodKey[]) rows.push([nsKey, podKey, matrix[nsKey]?.[podKey] ?? []]);
  }

  it.each(rows)('namespace %s, pod %s -> %j', (nsKey, podKey, expected) => {
    const matched = matching(hooks, nsKey, podKey);
    expect(matched.map((h) => h.webhook)).toEqual(expected);
    for (const h of matched) {
      expect(h.configuration).toBe(configuration);
      expect(h.revision).toBe(revision);
      expect(h.tag).toBe(tag);
    }
    // The full evaluation agrees with the fast path.
    const n = NAMESPACES[nsKey]!;
    const evaluated = hooks.filter((h) => evaluateWebhook(h, namespaceSelectorLabels(n.name, n.labels), PODS[podKey]!).matched);
    expect(evaluated.map((h) => h.webhook)).toEqual(expected);
  });
});

describe('recognising the injection webhooks of the rendered configurations', () => {
  it.each<[WebhookKey, string, string[], string, string | null]>([
    ['a', 'istio-sidecar-injector', [RN, RO, NS, OB], 'default', null],
    ['b', 'istio-sidecar-injector', [RN, RO, NS, OB, AU], 'default', null],
    ['c', 'istio-sidecar-injector-canary', [RN, RO], 'canary', null],
    ['d', 'istio-revision-tag-prod', [RN, RO], 'canary', 'prod'],
    ['e', 'istio-revision-tag-default', [RN, RO, NS, OB], 'canary', 'default'],
  ])('(%s) %s', (key, configuration, webhooks, revision, tag) => {
    const hooks = collectInjectionWebhooks([webhookConfig(key)]);
    expect(hooks.map((h) => h.webhook)).toEqual(webhooks);
    for (const h of hooks) {
      expect(h).toMatchObject({ configuration, revision, tag, istioNamespace: 'istio-system', interceptsPodCreate: true, deactivated: false });
      expect(h.findings).toEqual([]);
      expect(h.namespaceSelector.valid && h.objectSelector.valid).toBe(true);
    }
  });

  it.each<[WebhookKey, string]>([
    ['a', 'istiod'],
    ['b', 'istiod'],
    ['c', 'istiod-canary'],
    ['d', 'istiod-canary'],
    ['e', 'istiod-canary'],
  ])('(%s): every webhook calls service %s in istio-system at /inject:443 for CREATE of v1 pods', (key, service) => {
    const record = webhookConfig(key);
    for (const w of record.webhooks) {
      expect(w.service).toEqual({ namespace: 'istio-system', name: service, path: '/inject', port: 443 });
      expect(w.rules).toEqual([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: null }]);
      expect(w.url).toBeNull();
    }
    expect(record.labels['istio.io/rev']).toBe(key === 'a' || key === 'b' ? 'default' : 'canary');
    expect(record.labels.app).toBe('sidecar-injector');
  });

  it('orders configurations by name (the API server calls them in that order), webhooks as listed', () => {
    const hooks = collectInjectionWebhooks([webhookConfig('a'), webhookConfig('c'), webhookConfig('d'), webhookConfig('e')]);
    expect(hooks.map((h) => `${h.configuration}/${h.webhook.split('.')[0]}${h.webhook.startsWith('rev.') ? '.' + h.webhook.split('.')[1] : ''}`)).toEqual([
      'istio-revision-tag-default/rev.namespace',
      'istio-revision-tag-default/rev.object',
      'istio-revision-tag-default/namespace',
      'istio-revision-tag-default/object',
      'istio-revision-tag-prod/rev.namespace',
      'istio-revision-tag-prod/rev.object',
      'istio-sidecar-injector/rev.namespace',
      'istio-sidecar-injector/rev.object',
      'istio-sidecar-injector/namespace',
      'istio-sidecar-injector/object',
      'istio-sidecar-injector-canary/rev.namespace',
      'istio-sidecar-injector-canary/rev.object',
    ]);
  });

  it('takes the revision from the istio.io/rev label, else from the service istiod-REV, else "default"', () => {
    const base = rawWebhook('c');
    const noLabel = structuredClone(base);
    delete noLabel.metadata.labels['istio.io/rev'];
    expect(collectInjectionWebhooks([webhookConfigurationRecord(noLabel)])[0]!.revision).toBe('canary');
    const plainService = structuredClone(noLabel);
    for (const w of plainService.webhooks) w.clientConfig.service.name = 'istiod';
    expect(collectInjectionWebhooks([webhookConfigurationRecord(plainService)])[0]!.revision).toBe('default');
    // A tag configuration names the revision it routes to, never the tag.
    expect(collectInjectionWebhooks([webhookConfig('d')])[0]!.revision).toBe('canary');
  });

  it('ignores webhooks of other products', () => {
    const other: WebhookConfigurationRecord = {
      name: 'aaa-kyverno-resource-mutating-webhook-cfg',
      labels: {},
      lastChange: null,
      webhooks: [
        {
          name: 'mutate.kyverno.svc-fail',
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          namespaceSelector: {},
          objectSelector: {},
          service: { namespace: 'kyverno', name: 'kyverno-svc' },
          url: null,
        },
      ],
    };
    const hooks = collectInjectionWebhooks([other, webhookConfig('a')]);
    expect(hooks.map((h) => h.configuration)).toEqual(['istio-sidecar-injector', 'istio-sidecar-injector', 'istio-sidecar-injector', 'istio-sidecar-injector']);
  });

  it.each([
    ['rev.namespace.sidecar-injector.istio.io', true],
    ['object.sidecar-injector.istio.io', true],
    ['sidecar-injector.istio.io', true], // the single webhook of pre-1.6 installs
    ['mutate.kyverno.svc', false],
    ['sidecar-injector.istio.io.example.com', false],
  ])('isInjectionWebhookName(%s) = %s', (name, expected) => {
    expect(isInjectionWebhookName(name)).toBe(expected);
  });

  // istioctl x check-inject considers an MWC if one of its webhooks' names ends in "istio.io" and reports its
  // istio.io/rev label as the revision (istio-injection.md section 2).
  it('considers a webhook whose name ends in istio.io (check-inject), with the revision of its istio.io/rev label', () => {
    const custom: WebhookConfigurationRecord = {
      name: 'istio-custom-injector',
      labels: { 'istio.io/rev': 'custom' },
      lastChange: null,
      webhooks: [
        {
          name: 'namespace.custom-injector.istio.io',
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          namespaceSelector: { matchLabels: { 'istio.io/rev': 'custom' } },
          objectSelector: {},
          service: { namespace: 'istio-system', name: 'istiod-custom' },
          url: null,
        },
      ],
    };
    const hooks = collectInjectionWebhooks([custom]);
    expect(hooks.map((h) => [h.configuration, h.webhook, h.revision])).toEqual([['istio-custom-injector', 'namespace.custom-injector.istio.io', 'custom']]);
  });
});

describe('admission rules: only webhooks that intercept CREATE of v1 pods count', () => {
  const pods = (r: Partial<RuleRecord>): RuleRecord => ({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], ...r });
  it.each<[string, RuleRecord, boolean]>([
    ['the rendered rule', pods({}), true],
    ['operations *', pods({ operations: ['*'] }), true],
    ['CREATE among others', pods({ operations: ['UPDATE', 'CREATE'] }), true],
    ['apiGroups *', pods({ apiGroups: ['*'] }), true],
    ['apiVersions *', pods({ apiVersions: ['*'] }), true],
    ['resources *', pods({ resources: ['*'] }), true],
    ['resources */*', pods({ resources: ['*/*'] }), true],
    ['pods among others', pods({ resources: ['services', 'pods'] }), true],
    ['scope Namespaced', pods({ scope: 'Namespaced' }), true],
    ['scope *', pods({ scope: '*' }), true],
    ['UPDATE only', pods({ operations: ['UPDATE'] }), false],
    ['DELETE only', pods({ operations: ['DELETE'] }), false],
    ['apps group', pods({ apiGroups: ['apps'] }), false],
    ['v1beta1 only', pods({ apiVersions: ['v1beta1'] }), false],
    ['deployments', pods({ resources: ['deployments'] }), false],
    ['pods/* (subresources only)', pods({ resources: ['pods/*'] }), false],
    ['pods/status', pods({ resources: ['pods/status'] }), false],
    ['scope Cluster', pods({ scope: 'Cluster' }), false],
    ['no operations', pods({ operations: [] }), false],
  ])('%s -> %s', (_name, rule, expected) => {
    expect(ruleInterceptsPodCreate(rule)).toBe(expected);
  });

  it('a webhook whose rules do not cover pod CREATE never matches, even when both selectors do', () => {
    const raw = rawWebhook('a');
    for (const w of raw.webhooks) w.rules = [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }];
    const hooks = collectInjectionWebhooks([webhookConfigurationRecord(raw)]);
    expect(hooks).toHaveLength(4);
    const nsLabels = namespaceSelectorLabels('app', { 'istio-injection': 'enabled' });
    const nsHook = hooks.find((h) => h.webhook === NS)!;
    expect(nsHook.interceptsPodCreate).toBe(false);
    expect(webhookMatches(nsHook, nsLabels, {})).toBe(false);
    const ev = evaluateWebhook(nsHook, nsLabels, {});
    expect(ev.namespaceSelector.matched).toBe(true);
    expect(ev.objectSelector.matched).toBe(true);
    expect(ev.matched).toBe(false);
  });

  it('a webhook with a wildcard rule intercepts pods', () => {
    const raw = rawWebhook('c');
    for (const w of raw.webhooks) w.rules = [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }];
    const hooks = collectInjectionWebhooks([webhookConfigurationRecord(raw)]);
    expect(hooks.every((h) => h.interceptsPodCreate)).toBe(true);
    expect(webhookMatches(hooks[0]!, namespaceSelectorLabels('app', { 'istio.io/rev': 'canary' }), {})).toBe(true);
  });
});

describe('deactivated webhooks (istioctl tag set default: istio.io/deactivated=never-match)', () => {
  const hooks = collectInjectionWebhooks([deactivatedWebhookConfig('a')]);

  it('are recognised as deactivated', () => {
    expect(hooks).toHaveLength(4);
    for (const h of hooks) expect(h.deactivated).toBe(true);
  });

  const rows: [NsKey, PodKey][] = [];
  for (const n of Object.keys(NAMESPACES) as NsKey[]) for (const p of Object.keys(PODS) as PodKey[]) rows.push([n, p]);
  it.each(rows)('never match: namespace %s, pod %s', (nsKey, podKey) => {
    expect(matching(hooks, nsKey, podKey)).toEqual([]);
  });

  it('only one deactivated selector is enough to mark the webhook', () => {
    const raw = rawWebhook('a');
    raw.webhooks[0].objectSelector = { matchLabels: { 'istio.io/deactivated': 'never-match' } };
    const h = collectInjectionWebhooks([webhookConfigurationRecord(raw)]);
    expect(h.map((x) => x.deactivated)).toEqual([true, false, false, false]);
  });

  it('serve no revision', () => {
    expect([...servedRevisions(hooks)]).toEqual([]);
    expect(deactivate(rawWebhook('a')).metadata.name).toBe('istio-sidecar-injector');
  });
});

describe('servedRevisions: istio.io/rev values some active webhook selects, mapped to their revision', () => {
  it.each<[string, WebhookConfigurationRecord[], [string, string][]]>([
    ['a', [webhookConfig('a')], [['default', 'default']]],
    ['b', [webhookConfig('b')], [['default', 'default']]],
    ['c', [webhookConfig('c')], [['canary', 'canary']]],
    ['d', [webhookConfig('d')], [['prod', 'canary']]],
    ['e', [webhookConfig('e')], [['default', 'canary']]],
    ['c + d', [webhookConfig('c'), webhookConfig('d')], [['canary', 'canary'], ['prod', 'canary']]],
    ['a + c', [webhookConfig('a'), webhookConfig('c')], [['canary', 'canary'], ['default', 'default']]],
    ['a deactivated + c + e', [deactivatedWebhookConfig('a'), webhookConfig('c'), webhookConfig('e')], [['canary', 'canary'], ['default', 'canary']]],
  ])('%s', (_name, configs, expected) => {
    const served = servedRevisions(collectInjectionWebhooks(configs));
    expect([...served].sort()).toEqual(expected);
  });
});

describe('namespaceSelector sees kubernetes.io/metadata.name', () => {
  it('adds the name label the API server sets on every namespace', () => {
    expect(namespaceSelectorLabels('kube-system', { a: 'b' })).toEqual({ a: 'b', 'kubernetes.io/metadata.name': 'kube-system' });
  });

  it('auto. excludes the system namespaces by metadata.name, not by a label the namespace carries', () => {
    const auto = collectInjectionWebhooks([webhookConfig('b')]).find((h) => h.webhook === AU)!;
    for (const name of ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']) {
      expect(webhookMatches(auto, namespaceSelectorLabels(name, {}), {})).toBe(false);
    }
    for (const name of ['default', 'istio-system', 'kube-systemx']) {
      expect(webhookMatches(auto, namespaceSelectorLabels(name, {}), {})).toBe(true);
    }
  });
});

describe('evaluateWebhook explains every requirement', () => {
  it('rev.namespace of (c) in a namespace labelled istio.io/rev=default', () => {
    const hook = collectInjectionWebhooks([webhookConfig('c')])[0]!;
    const ev = evaluateWebhook(hook, namespaceSelectorLabels('app', { 'istio.io/rev': 'default' }), { 'sidecar.istio.io/inject': 'true' });
    expect(ev.matched).toBe(false);
    expect(ev.namespaceSelector.matched).toBe(false);
    expect(ev.namespaceSelector.requirements).toEqual([
      { key: 'istio.io/rev', operator: 'In', values: ['canary'], matched: false, actual: 'default' },
      { key: 'istio-injection', operator: 'DoesNotExist', values: [], matched: true, actual: null },
    ]);
    expect(ev.objectSelector).toEqual({
      matched: true,
      valid: true,
      requirements: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'], matched: true, actual: 'true' }],
    });
  });

  it('an invalid selector is reported and matches nothing', () => {
    const raw = rawWebhook('c');
    raw.webhooks[0].namespaceSelector = { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [] }] };
    const hooks = collectInjectionWebhooks([webhookConfigurationRecord(raw)]);
    expect(hooks[0]!.findings.map((f) => f.code)).toEqual(['InvalidSelector']);
    const ev = evaluateWebhook(hooks[0]!, namespaceSelectorLabels('app', { 'istio.io/rev': 'canary' }), {});
    expect(ev.namespaceSelector.valid).toBe(false);
    expect(ev.matched).toBe(false);
  });
});

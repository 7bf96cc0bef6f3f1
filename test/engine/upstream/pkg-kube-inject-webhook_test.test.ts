// Upstream: istio/istio pkg/kube/inject/webhook_test.go
// Cases ported as data: TestInjectRequired (every row, current version with the invalid-value rows),
// TestRunAndServe (the injection decision of its "valid" and "skipped" reviews), TestParseStatus.
// Not ported: TestDetectNativeSidecar (kubelet versions of nodes; the engine reads the mode from the pod
// itself), TestParseInjectEnvs, TestMergeOrAppendProbers, TestEnablePrometheusAggregation, TestNewWebhook*
// (rendering and serving, not the decision).
import { describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { parseInjectorConfig, type InjectorConfig } from '../../../src/engine/injector-config.js';
import { injectRequired } from '../../../src/engine/injector-policy.js';
import { parseStatusAnnotation } from '../../../src/engine/sidecar-detection.js';
import type { LabelSelector, Labels } from '../../../src/engine/types.js';

const INJECT = 'sidecar.istio.io/inject';

/** An injector ConfigMap holding exactly the Config of the upstream row, parsed the way the engine parses it. */
function config(policy: string, selectors: { always?: LabelSelector[]; never?: LabelSelector[] } = {}): InjectorConfig {
  const body: Record<string, unknown> = { policy };
  if (selectors.always) body.alwaysInjectSelector = selectors.always;
  if (selectors.never) body.neverInjectSelector = selectors.never;
  return parseInjectorConfig(
    { namespace: 'istio-system', name: 'istio-sidecar-injector', labels: {}, data: { config: yaml.dump(body) }, lastChange: null },
    'default',
  );
}

/** metav1.ParseToLabelSelector("foo"): a bare key is an Exists requirement. */
const exists = (key: string): LabelSelector => ({ matchExpressions: [{ key, operator: 'Exists' }] });
const matchLabels = (labels: Labels): LabelSelector => ({ matchLabels: labels });

interface Row {
  name: string;
  config: InjectorConfig;
  hostNetwork?: boolean;
  labels?: Labels;
  annotations?: Labels;
  want: boolean;
}

const ENABLED = 'enabled';
const DISABLED = 'disabled';

// TestInjectRequired, in upstream order. Upstream reuses some names ("no-policy", "default-policy",
// "force-on-policy", "force-off-policy") for several policies; the policy is added to keep them apart.
const TEST_INJECT_REQUIRED: Row[] = [
  { name: 'no-policy (enabled)', config: config(ENABLED), annotations: {}, want: true },
  { name: 'default-policy (enabled)', config: config(ENABLED), want: true },
  { name: 'force-on-policy (enabled)', config: config(ENABLED), annotations: { [INJECT]: 'true' }, want: true },
  { name: 'force-off-policy (enabled)', config: config(ENABLED), annotations: { [INJECT]: 'false' }, want: false },
  { name: 'no-policy (disabled)', config: config(DISABLED), annotations: {}, want: false },
  { name: 'default-policy (disabled)', config: config(DISABLED), want: false },
  { name: 'force-on-policy (disabled)', config: config(DISABLED), annotations: { [INJECT]: 'true' }, want: true },
  { name: 'force-off-policy (disabled)', config: config(DISABLED), annotations: { [INJECT]: 'false' }, want: false },
  { name: 'invalid-inject-value-yes', config: config(ENABLED), annotations: { [INJECT]: 'yes' }, want: true },
  { name: 'invalid-inject-value-on', config: config(DISABLED), annotations: { [INJECT]: 'on' }, want: false },
  { name: 'invalid-inject-value-random', config: config(ENABLED), labels: { [INJECT]: 'random' }, want: true },
  { name: 'force-off-policy (hostNetwork)', config: config(ENABLED), hostNetwork: true, annotations: {}, want: false },
  { name: 'wrong-policy', config: config('wrong_policy'), annotations: {}, want: false },
  { name: 'policy-enabled-always-inject-no-labels', config: config(ENABLED, { always: [matchLabels({ foo: 'bar' })] }), want: true },
  { name: 'policy-enabled-always-inject-with-labels', config: config(ENABLED, { always: [matchLabels({ foo: 'bar' })] }), labels: { foo: 'bar1' }, want: true },
  { name: 'policy-disabled-always-inject-no-labels', config: config(DISABLED, { always: [matchLabels({ foo: 'bar' })] }), want: false },
  { name: 'policy-disabled-always-inject-with-labels', config: config(DISABLED, { always: [matchLabels({ foo: 'bar' })] }), labels: { foo: 'bar' }, want: true },
  { name: 'policy-enabled-never-inject-no-labels', config: config(ENABLED, { never: [matchLabels({ foo: 'bar' })] }), want: true },
  { name: 'policy-enabled-never-inject-with-labels', config: config(ENABLED, { never: [matchLabels({ foo: 'bar' })] }), labels: { foo: 'bar' }, want: false },
  { name: 'policy-disabled-never-inject-no-labels', config: config(DISABLED, { never: [matchLabels({ foo: 'bar' })] }), want: false },
  { name: 'policy-disabled-never-inject-with-labels', config: config(DISABLED, { never: [matchLabels({ foo: 'bar' })] }), labels: { foo: 'bar' }, want: false },
  { name: 'policy-enabled-never-inject-with-empty-label', config: config(ENABLED, { never: [exists('foo')] }), labels: { foo: '', foo2: 'bar2' }, want: false },
  { name: 'policy-disabled-always-inject-with-empty-label', config: config(DISABLED, { always: [exists('foo')] }), labels: { foo: '', foo2: 'bar2' }, want: true },
  {
    name: 'policy-disabled-always-never-inject-with-label-returns-true',
    config: config(DISABLED, { always: [exists('always')], never: [exists('never')] }),
    labels: { always: 'bar', foo2: 'bar2' },
    want: true,
  },
  {
    name: 'policy-disabled-always-never-inject-with-label-returns-false',
    config: config(DISABLED, { always: [exists('always')], never: [exists('never')] }),
    labels: { never: 'bar', foo2: 'bar2' },
    want: false,
  },
  {
    name: 'policy-disabled-always-never-inject-with-both-labels',
    config: config(DISABLED, { always: [exists('always')], never: [exists('never')] }),
    labels: { always: 'bar', never: 'bar2' },
    want: false,
  },
  {
    name: 'policy-enabled-annotation-true-never-inject',
    config: config(ENABLED, { never: [exists('foo')] }),
    annotations: { [INJECT]: 'true' },
    labels: { foo: '', foo2: 'bar2' },
    want: true,
  },
  {
    name: 'policy-enabled-annotation-false-always-inject',
    config: config(ENABLED, { always: [exists('foo')] }),
    annotations: { [INJECT]: 'false' },
    labels: { foo: '', foo2: 'bar2' },
    want: false,
  },
  {
    name: 'policy-disabled-annotation-false-always-inject',
    config: config(DISABLED, { always: [exists('foo')] }),
    annotations: { [INJECT]: 'false' },
    labels: { foo: '', foo2: 'bar2' },
    want: false,
  },
  {
    name: 'policy-enabled-never-inject-multiple-labels',
    config: config(ENABLED, { never: [exists('foo'), exists('bar')] }),
    labels: { label1: '', bar: 'anything' },
    want: false,
  },
  {
    // Upstream name says "enabled"; its config is policy disabled.
    name: 'policy-enabled-always-inject-multiple-labels',
    config: config(DISABLED, { always: [exists('foo'), exists('bar')] }),
    labels: { label1: '', bar: 'anything' },
    want: true,
  },
  {
    name: 'policy-disabled-annotation-true-never-inject',
    config: config(DISABLED, { never: [exists('foo')] }),
    annotations: { [INJECT]: 'true' },
    labels: { foo: '', foo2: 'bar2' },
    want: true,
  },
  { name: 'policy-disabled-label-enabled', config: config(DISABLED), labels: { [INJECT]: 'true' }, want: true },
  { name: 'policy-disabled-both-enabled', config: config(DISABLED), annotations: { [INJECT]: 'true' }, labels: { [INJECT]: 'true' }, want: true },
  {
    name: 'policy-disabled-label-enabled-annotation-disabled',
    config: config(DISABLED),
    annotations: { [INJECT]: 'false' },
    labels: { [INJECT]: 'true' },
    want: true,
  },
  {
    name: 'policy-disabled-label-disabled-annotation-enabled',
    config: config(DISABLED),
    annotations: { [INJECT]: 'true' },
    labels: { [INJECT]: 'false' },
    want: false,
  },
];

describe('TestInjectRequired', () => {
  it('has every upstream row', () => {
    expect(TEST_INJECT_REQUIRED).toHaveLength(36);
  });

  it.each(TEST_INJECT_REQUIRED.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    // Upstream: namespace "test-namespace", IgnoredNamespaces as the ignore list.
    const got = injectRequired(row.config, {
      namespace: 'test-namespace',
      hostNetwork: row.hostNetwork ?? false,
      labels: row.labels ?? {},
      annotations: row.annotations ?? {},
    });
    expect(got.inject).toBe(row.want);
  });

  it('the selectors of the rows parse (none is skipped as invalid)', () => {
    for (const row of TEST_INJECT_REQUIRED) {
      for (const s of [...row.config.alwaysInjectSelector, ...row.config.neverInjectSelector]) expect(s.compiled.valid, row.name).toBe(true);
    }
  });
});

describe('TestRunAndServe: the decision behind its admission reviews', () => {
  // minimalSidecarTemplate: policy enabled; makeTestData: a pod with no namespace in the request, with or
  // without annotation sidecar.istio.io/inject "false". "valid" is patched (injected), "skipped" is allowed
  // without a patch.
  const minimal = config(ENABLED);
  it.each<[string, Labels, boolean]>([
    ['valid', {}, true],
    ['skipped', { [INJECT]: 'false' }, false],
  ])('%s', (_name, annotations, want) => {
    expect(injectRequired(minimal, { namespace: '', hostNetwork: false, labels: {}, annotations }).inject).toBe(want);
  });
});

describe('TestParseStatus', () => {
  /** parseStatus: the container names listed by sidecar.istio.io/status; nothing when it does not parse. */
  function parsed(status: string): { containers: string[]; initContainers: string[] } {
    const s = parseStatusAnnotation(status);
    if (typeof s === 'string') return { containers: [], initContainers: [] };
    return { containers: s.containers ?? [], initContainers: s.initContainers ?? [] };
  }

  it.each<[string, string, string[], string[]]>([
    [
      'Regular Containers only',
      '{"containers":["istio-proxy", "random-container"],"volumes":["workload-socket","istio-token","istiod-ca-cert"]}',
      ['istio-proxy', 'random-container'],
      [],
    ],
    [
      'Init Containers only',
      '{"initContainers":["istio-init", "istio-validation"],"volumes":["workload-socket","istio-token","istiod-ca-cert"]}',
      [],
      ['istio-init', 'istio-validation'],
    ],
    [
      'All Containers',
      '{"containers":["istio-proxy", "random-container"],"initContainers":["istio-init", "istio-validation"],"volumes":["workload-socket","istio-token","istiod-ca-cert"]}',
      ['istio-proxy', 'random-container'],
      ['istio-init', 'istio-validation'],
    ],
    [
      'Containers is null',
      '{"containers":null,"initContainers":["istio-init", "istio-validation"],"volumes":["workload-socket","istio-token","istiod-ca-cert"]}',
      [],
      ['istio-init', 'istio-validation'],
    ],
    ['Empty String', '', [], []],
  ])('%s', (_name, status, containers, initContainers) => {
    expect(parsed(status)).toEqual({ containers, initContainers });
  });
});

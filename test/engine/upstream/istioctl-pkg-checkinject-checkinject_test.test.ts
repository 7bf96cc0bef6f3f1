// Upstream: istio/istio istioctl/pkg/checkinject/checkinject_test.go (+ testdata/check-inject/*.yaml, copied
// as test/fixtures/upstream/checkinject/*.yaml)
// Test_analyzeRunningWebhooks: for each Istio webhook configuration (one whose webhooks' names end in
// "istio.io"), sorted by name, check-inject reports its revision (the configuration's istio.io/rev label) and
// whether it injects the pod (some webhook's namespaceSelector and objectSelector both match). Ported onto
// collectInjectionWebhooks (which configurations, which revision, deactivated or not) and decide() (which
// webhooks match, which revision injects). No injector ConfigMap is given, as upstream (check-inject looks at
// selectors only); the engine then assumes the chart's policy "enabled", so "Injected" is also the decision.
// The Reason strings are check-inject's wording and are not ported.
import { describe, expect, it } from 'vitest';
import { webhookConfigurationRecord } from '../../../src/cluster/records.js';
import { buildClusterContext } from '../../../src/engine/cluster-context.js';
import { decide } from '../../../src/engine/decision.js';
import { collectInjectionWebhooks } from '../../../src/engine/webhook-matching.js';
import type { Labels } from '../../../src/engine/types.js';
import { state } from '../helpers.js';
import { only, upstreamObjects } from './support.js';

const FILES = ['checkinject/default-injector.yaml', 'checkinject/rev-16-injector.yaml', 'checkinject/never-match-injector.yaml'];
const configs = FILES.map((f) => ({ ...webhookConfigurationRecord(only(upstreamObjects(f), 'MutatingWebhookConfiguration')), lastChange: null }));

/** nsTestObject(name, istio-injection value, istio.io/rev value); "" leaves the label out, as upstream. */
function nsLabels(injection: string, rev: string): Labels {
  const labels: Labels = {};
  if (injection) labels['istio-injection'] = injection;
  if (rev) labels['istio.io/rev'] = rev;
  return labels;
}

/** podTestObject(name, namespace, sidecar.istio.io/inject label value, istio.io/rev label value). */
function podLabels(inject: string, rev: string): Labels {
  const labels: Labels = {};
  if (inject) labels['sidecar.istio.io/inject'] = inject;
  if (rev) labels['istio.io/rev'] = rev;
  return labels;
}

const ALL = ['istio-sidecar-injector', 'istio-sidecar-injector-1-16', 'istio-sidecar-injector-deactivated'];

// [name, pod inject label, pod rev label, ns injection label, ns rev label, configurations with Injected: true]
const CASES: [string, string, string, string, string, string[]][] = [
  ['no inj because of no match labels', '', '', '', '', []],
  ['default ns injection', '', '', 'enabled', '', ['istio-sidecar-injector']],
  ['rev ns injection', '', '', '', '1-16', ['istio-sidecar-injector-1-16']],
  ['rev po label injection', '', '1-16', '', '', ['istio-sidecar-injector-1-16']],
  ['default pod label injection', 'true', '', '', '', ['istio-sidecar-injector']],
  ['both default label injection', 'true', '', 'enabled', '', ['istio-sidecar-injector']],
  ['both rev label injection', '', '1-16', '', '1-16', ['istio-sidecar-injector-1-16']],
  ['disable ns label and rev po label', '', '1-16', 'disabled', '', []],
  ['ns and rev pod label', '', '1-16', 'enabled', '', ['istio-sidecar-injector']],
  ['pod label with not inject', 'false', '', 'enabled', '', []],
  ['pod not injectable for ns rev', 'false', '', '', '1-16', []],
];

describe('Test_analyzeRunningWebhooks', () => {
  it('lists every Istio configuration, sorted by name, with the revision of its istio.io/rev label', () => {
    const hooks = collectInjectionWebhooks(configs);
    const byConfig = new Map<string, { revision: string; deactivated: boolean }>();
    for (const h of hooks) byConfig.set(h.configuration, { revision: h.revision, deactivated: h.deactivated });
    expect([...byConfig.keys()]).toEqual(ALL);
    expect(Object.fromEntries(byConfig)).toEqual({
      'istio-sidecar-injector': { revision: 'default', deactivated: false },
      'istio-sidecar-injector-1-16': { revision: '1-16', deactivated: false },
      // "The injection webhook is deactivated, and will never match labels."
      'istio-sidecar-injector-deactivated': { revision: 'default', deactivated: true },
    });
  });

  it('has every upstream case', () => {
    expect(CASES).toHaveLength(11);
  });

  it.each(CASES)('%s', (_name, inject, podRev, injection, nsRev, injected) => {
    const ctx = buildClusterContext(state({ namespaces: [{ name: 'test1', labels: nsLabels(injection, nsRev) }], webhookConfigurations: configs }));
    const d = decide(ctx, { namespace: 'test1', labels: podLabels(inject, podRev), annotations: {}, hostNetwork: false });
    // Injected per configuration: some webhook of it matches.
    const matching = [...new Set(d.matched.map((m) => m.hook.configuration))].sort();
    expect(matching).toEqual(injected);
    // The deactivated configuration never matches.
    expect(d.matched.some((m) => m.hook.deactivated)).toBe(false);
    // The decision: the one matching configuration's revision injects (policy "enabled" assumed), else nothing.
    const revision = injected.length === 1 ? (injected[0] === 'istio-sidecar-injector-1-16' ? '1-16' : 'default') : null;
    expect(d.inject).toBe(revision !== null);
    expect(d.revision).toBe(revision);
  });
});

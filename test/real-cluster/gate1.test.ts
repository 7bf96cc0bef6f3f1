// Gate 1 against the real API server: for namespaces x pods x Istio's reference webhook
// configurations, the injection webhooks kube-apiserver calls (recorded by the test webhook server,
// in call order) are the webhooks the engine says match, in the engine's order.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { expect, it } from 'vitest';
import { buildClusterContext } from '../../src/engine/cluster-context.js';
import { decide } from '../../src/engine/decision.js';
import { addObject, emptyState } from '../../src/cluster/records.js';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import type { RawObject } from './rest.js';
import { describeRealCluster, useRealCluster } from './suite.js';

const WEBHOOKS = fileURLToPath(new URL('../fixtures/istio/webhooks/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../demo/cluster.yaml', import.meta.url));
/** The demo's hand-written team-a webhook: it overlaps Istio's, so some pods get two injection webhooks called. */
const TEAM_A = 'demo:team-a-sidecar-injector';
const reference = (file: string): RawObject =>
  file === TEAM_A
    ? (readSnapshotObjects(DEMO) as RawObject[]).find((o) => o.kind === 'MutatingWebhookConfiguration' && o.metadata.name === 'team-a-sidecar-injector')!
    : yaml.loadAll(readFileSync(`${WEBHOOKS}${file}`, 'utf8')).find((d) => (d as RawObject)?.kind === 'MutatingWebhookConfiguration') as RawObject;

const A = 'a-default-revision.yaml';
const B = 'b-default-revision-enableNamespacesByDefault.yaml';
const C = 'c-revision-canary.yaml';
const D = 'd-tag-prod-to-canary.yaml';
const E = 'e-tag-default-to-canary.yaml';
/** Sets of configurations installed together (a and b share a name: one or the other). */
const SCENARIOS: string[][] = [[A], [B], [C], [A, C], [A, C, D], [C, D, E], [B, C, D], [A, C, D, TEAM_A]];

const NAMESPACES: Record<string, Record<string, string>> = {
  plain: {},
  'inj-enabled': { 'istio-injection': 'enabled' },
  'inj-disabled': { 'istio-injection': 'disabled' },
  'rev-canary': { 'istio.io/rev': 'canary' },
  'rev-prod': { 'istio.io/rev': 'prod' },
  'rev-default': { 'istio.io/rev': 'default' },
  'rev-unknown': { 'istio.io/rev': 'nope' },
  'enabled-and-rev': { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' },
  'team-a': { 'istio.io/rev': 'canary', team: 'a' },
  'team-a-prod': { 'istio.io/rev': 'prod', team: 'a' },
};

const PODS: Record<string, string>[] = [
  {},
  { 'sidecar.istio.io/inject': 'true' },
  { 'sidecar.istio.io/inject': 'false' },
  { 'istio.io/rev': 'canary' },
  { 'istio.io/rev': 'prod' },
  { 'istio.io/rev': 'default' },
  { 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary' },
  { 'sidecar.istio.io/inject': 'false', 'istio.io/rev': 'canary' },
  { 'sidecar.istio.io/inject': 'yes' },
];

const namespaceObjects = (): RawObject[] =>
  Object.entries(NAMESPACES).map(([name, labels]) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }));

describeRealCluster('gate 1: the webhooks kube-apiserver calls', () => {
  const cluster = useRealCluster(namespaceObjects);

  it('equal the webhooks the engine matches, in order, for every namespace x pod x reference configuration', async () => {
    const c = cluster();
    const rest = c.rest;
    // Pods need their namespace's default ServiceAccount (the ServiceAccount admission plugin).
    for (const ns of Object.keys(NAMESPACES)) {
      for (let i = 0; (await rest.raw('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status !== 200; i++) {
        if (i > 300) throw new Error(`no default ServiceAccount in ${ns}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    let installed: RawObject[] = [];
    let cases = 0;
    let called1 = 0;
    let called2 = 0;
    const disagreements: string[] = [];
    for (const scenario of SCENARIOS) {
      const configurations = scenario.map(reference);
      for (const old of installed) {
        if (!configurations.some((n) => n.metadata.name === old.metadata.name)) {
          await rest.delete(`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${old.metadata.name}`);
          c.webhooks.removeInput('MutatingWebhookConfiguration', undefined, old.metadata.name);
        }
      }
      await c.applyWebhookConfigurations(configurations);
      installed = configurations;
      // The API server's webhook informer catches up asynchronously: wait until a probe pod is seen by every configuration.
      await webhooksSettle(c, configurations);

      const state = emptyState();
      for (const ns of namespaceObjects()) addObject(state, { ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name } } });
      for (const configuration of configurations) addObject(state, configuration);
      const ctx = buildClusterContext(state);

      for (const ns of Object.keys(NAMESPACES)) {
        for (const [i, labels] of PODS.entries()) {
          const name = `p${i}-${scenario.map((f) => f[0]).join('')}`.replace(/[^a-z0-9-]/g, 'x');
          c.webhooks.clearCalls();
          const r = await rest.raw('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, labels },
            spec: { containers: [{ name: 'app', image: 'registry.test/app:1' }] },
          });
          expect(r.status, r.text).toBe(201);
          const called = c.webhooks.calls.filter((k) => k.namespace === ns && k.name === name).map((k) => `${k.configuration}/${k.webhook}`);
          const decision = decide(ctx, { namespace: ns, labels, annotations: {}, hostNetwork: false });
          const expected = decision.matched.map((m) => `${m.hook.configuration}/${m.hook.webhook}`);
          cases++;
          if (called.length >= 1) called1++;
          if (called.length >= 2) called2++;
          if (JSON.stringify(called) !== JSON.stringify(expected)) {
            disagreements.push(`[${scenario.join(' ')}] namespace ${ns} ${JSON.stringify(NAMESPACES[ns])}, pod ${JSON.stringify(labels)}: API server called ${JSON.stringify(called)}, engine matched ${JSON.stringify(expected)}`);
          }
        }
      }
    }
    expect(cases).toBe(SCENARIOS.length * Object.keys(NAMESPACES).length * PODS.length);
    expect(disagreements).toEqual([]);
    // The table exercises calls and non-calls, and pods that more than one webhook is called for.
    expect(called1).toBeGreaterThan(cases / 4);
    expect(cases - called1).toBeGreaterThan(cases / 4);
    expect(called2).toBeGreaterThan(2);
  }, 300_000);
});

/** Waits until the API server calls the new configurations (its webhook informer is asynchronous). */
async function webhooksSettle(c: ReturnType<ReturnType<typeof useRealCluster>>, configurations: RawObject[]): Promise<void> {
  const names = new Set(configurations.map((k) => k.metadata.name as string));
  const seen = () => new Set(c.webhooks.calls.map((k) => k.configuration));
  for (let i = 0; i < 200; i++) {
    c.webhooks.clearCalls();
    // A pod in namespace "plain" with every selector-relevant label style: one probe per configuration kind.
    for (const [ns, labels] of [
      ['inj-enabled', {}],
      ['rev-canary', {}],
      ['rev-prod', {}],
      ['rev-default', {}],
      ['plain', { 'sidecar.istio.io/inject': 'true' }],
      ['team-a', {}],
      ['team-a-prod', {}],
    ] as const) {
      await c.rest.raw('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'probe', labels },
        spec: { containers: [{ name: 'app', image: 'registry.test/app:1' }] },
      });
    }
    const s = seen();
    if ([...names].every((n) => s.has(n)) && [...s].every((n) => names.has(n))) {
      // A configuration replaced under the same name (a -> b) is not told apart by name: give the informer time.
      await new Promise((r) => setTimeout(r, 1500));
      c.webhooks.clearCalls();
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the API server never called all of ${[...names].join(', ')}`);
}

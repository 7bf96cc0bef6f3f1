// Drives the interactive rollout prompts the way a user does: arrows, space, enter.
import { screen } from '@inquirer/testing/vitest';
import { describe, expect, it } from 'vitest';
import { chooseAndConfirm, describeRequests } from '../../src/rollout/choose.js';
import type { RolloutPlan } from '../../src/engine/rollout-plan.js';

const plan: RolloutPlan = {
  scope: ['shop'],
  namespaces: [{ namespace: 'shop', from: { 'istio.io/rev': 'prod' }, to: { 'istio.io/rev': 'canary' }, patch: { 'istio.io/rev': 'canary' } }],
  workloads: [
    { kind: 'Deployment', namespace: 'shop', name: 'cart', action: 'restart', pods: 2, drifted: 2, drift: ['RevisionMismatch'], reason: '' },
    { kind: 'StatefulSet', namespace: 'shop', name: 'db', action: 'wait', pods: 1, drifted: 1, drift: ['MissingSidecar'], reason: 'rollout already in progress' },
    { kind: 'Deployment', namespace: 'shop', name: 'old', action: 'skip', pods: 1, drifted: 1, drift: ['MissingSidecar'], reason: 'paused' },
  ],
  manual: [],
};

describe('interactive rollout selection', () => {
  it('pre-selects everything drifted, and confirming sends exactly the selection', async () => {
    const result = chooseAndConfirm(plan);
    const first = screen.getScreen();
    expect(first).toContain('namespace shop: istio.io/rev=canary');
    expect(first).toContain('restart deployment/cart -n shop (2/2 pods drift: RevisionMismatch)');
    expect(first).toContain('wait statefulset/db -n shop');
    expect(first).not.toContain('deployment/old'); // skipped workloads are not offered
    screen.keypress('enter');
    await screen.next();
    const confirm = screen.getScreen();
    expect(confirm).toContain('PATCH namespace/shop metadata.labels {"istio.io/rev":"canary"}');
    expect(confirm).toContain('PATCH deployment/cart -n shop spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]');
    screen.type('y');
    screen.keypress('enter');
    const selection = await result;
    expect(selection?.namespaces.map((n) => n.namespace)).toEqual(['shop']);
    expect(selection?.workloads.map((w) => w.name)).toEqual(['cart', 'db']);
  });

  it('unticking a workload leaves it out', async () => {
    const result = chooseAndConfirm(plan);
    screen.keypress('down'); // cart
    screen.keypress('space'); // untick
    screen.keypress('enter');
    await screen.next();
    expect(screen.getScreen()).not.toContain('deployment/cart');
    screen.type('y');
    screen.keypress('enter');
    const selection = await result;
    expect(selection?.workloads.map((w) => w.name)).toEqual(['db']);
  });

  it('declining the confirmation sends nothing', async () => {
    const result = chooseAndConfirm(plan);
    screen.keypress('enter');
    await screen.next();
    screen.keypress('enter'); // default is No
    expect(await result).toBeNull();
  });

  it('describes a wait as no request', () => {
    expect(describeRequests({ namespaces: [], workloads: [plan.workloads[1]!] })).toEqual(['(no request) wait for the rollout of statefulset/db -n shop already in progress']);
  });
});

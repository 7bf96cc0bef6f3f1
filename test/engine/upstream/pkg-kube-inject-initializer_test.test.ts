// Upstream: istio/istio pkg/kube/inject/initializer_test.go
// TestSystemNamespaces_Contains: IgnoredNamespaces holds kube-system, kube-public, kube-node-lease and
// local-path-storage (pkg/config/constants), and not an arbitrary namespace ("fake"). Ported onto
// IGNORED_NAMESPACES and onto injectRequired, which never injects in an ignored namespace.
import { describe, expect, it } from 'vitest';
import { parseInjectorConfig } from '../../../src/engine/injector-config.js';
import { IGNORED_NAMESPACES, injectRequired } from '../../../src/engine/injector-policy.js';
import { injectorConfigMap } from '../helpers.js';

const ROWS: [string, boolean][] = [
  ['kube-system', true],
  ['kube-public', true],
  ['kube-node-lease', true],
  ['local-path-storage', true],
  ['fake', false],
];

describe('TestSystemNamespaces_Contains', () => {
  const enabled = parseInjectorConfig(injectorConfigMap(), 'default');

  it.each(ROWS)('%s ignored: %s', (ns, ignored) => {
    expect(IGNORED_NAMESPACES.has(ns)).toBe(ignored);
    // Even an explicit opt-in does not get a pod injected in an ignored namespace.
    const d = injectRequired(enabled, { namespace: ns, hostNetwork: false, labels: { 'sidecar.istio.io/inject': 'true' }, annotations: {} });
    expect(d.inject).toBe(!ignored);
  });
});

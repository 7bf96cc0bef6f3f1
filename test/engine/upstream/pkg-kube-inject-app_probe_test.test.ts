// Upstream: istio/istio pkg/kube/inject/app_probe_test.go
// TestFindSidecar (current version, with the init-container row): FindSidecar(pod) returns the container named
// istio-proxy, looked up in spec.containers then spec.initContainers, or nil. Ported onto findProxy.
// The upstream containers carry only a name (no image). Each row is asserted twice: literally (image-less, as
// upstream) and with an image, as any pod the API server admits has one.
import { describe, expect, it } from 'vitest';
import { findProxy } from '../../../src/engine/sidecar-detection.js';
import type { ContainerRecord } from '../../../src/engine/types.js';

const IMAGE = 'docker.io/istio/proxyv2:1.28.0';

type Row = [name: string, containers: string[], initContainers: string[], want: 'sidecar' | 'native-sidecar' | 'none'];

// [name, containers, initContainers, where FindSidecar finds istio-proxy]
const ROWS: Row[] = [
  ['only-sidecar', ['istio-proxy'], [], 'sidecar'],
  ['app-and-sidecar', ['app', 'istio-proxy'], [], 'sidecar'],
  ['no-sidecar', ['app'], [], 'none'],
  ['init-sidecar', ['app'], ['istio-proxy'], 'native-sidecar'],
];

const records = (names: string[], image: string | null): ContainerRecord[] => names.map((name) => ({ name, image }));

describe('TestFindSidecar', () => {
  it.each(ROWS)('%s (containers with an image)', (_name, containers, initContainers, want) => {
    const got = findProxy({ containers: records(containers, IMAGE), initContainers: records(initContainers, IMAGE) });
    expect(got.mode).toBe(want);
    expect(got.image).toBe(want === 'none' ? null : IMAGE);
  });

  // Literal upstream input: containers with a name only. FindSidecar matches on the name alone; the
  // engine deliberately follows the analyzers' hasIstioProxy instead (a proxy needs an image to run), so
  // an image-less istio-proxy is no proxy. Real pods always carry an image, so only this literal input differs.
  it.each(ROWS)('%s (literal: containers without an image are not a running proxy)', (_name, containers, initContainers) => {
    const got = findProxy({ containers: records(containers, null), initContainers: records(initContainers, null) });
    expect(got).toEqual({ mode: 'none', image: null });
  });
});

// Loaders for the ported upstream cases: fixtures in test/fixtures/upstream (see its README), read the way
// `--snapshot` reads files, plus the copies of Istio's data in test/fixtures/istio.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawObject } from '../../../src/cluster/records.js';
import { parseSnapshotText, stateFromObjects } from '../../../src/cluster/snapshot-source.js';
import { buildClusterContext, type ClusterContext } from '../../../src/engine/cluster-context.js';
import type { ClusterState } from '../../../src/engine/types.js';
import { fixtureObjects } from '../helpers.js';

export const UPSTREAM_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'upstream');

export function upstreamText(relative: string): string {
  return readFileSync(join(UPSTREAM_FIXTURES, relative), 'utf8');
}

/** Raw objects of a test/fixtures/upstream file (a fresh copy on every call). */
export function upstreamObjects(relative: string): RawObject[] {
  return parseSnapshotText(upstreamText(relative), relative);
}

/** Raw objects of a test/fixtures/istio file (the copies of Istio's rendered data). */
export function istioObjects(relative: string): RawObject[] {
  return fixtureObjects(relative);
}

export function stateOf(objects: RawObject[]): ClusterState {
  return stateFromObjects(objects, 'upstream-case');
}

export function contextOf(objects: RawObject[]): ClusterContext {
  return buildClusterContext(stateOf(objects));
}

/** The one object of the given kind (and name) in a list. */
export function only(objects: RawObject[], kind: string, name?: string): RawObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  return found[0] as RawObject;
}

/**
 * A pod a ReplicaSet of the Deployment created from `template` (the Deployment's own, or an injected one),
 * in `namespace`, owned the way the controllers set it up.
 */
export function podFromTemplate(deploymentName: string, template: RawObject, namespace: string, created = '2024-06-01T00:00:00Z'): RawObject {
  const t = structuredClone(template);
  const hash = '6d5f8c7b9';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(t.metadata ?? {}),
      name: `${deploymentName}-${hash}-x2x7q`,
      namespace,
      creationTimestamp: created,
      labels: { ...(t.metadata?.labels ?? {}), 'pod-template-hash': hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${deploymentName}-${hash}`, uid: 'u', controller: true }],
    },
    spec: t.spec,
    status: { phase: 'Running' },
  };
}

export function namespaceObject(name: string, labels: Record<string, string> = {}): RawObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

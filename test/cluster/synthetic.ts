// Seeding a test cluster with a synthetic cluster (test/synthetic): N realistic pods across M namespaces
// with their Deployments, ReplicaSets and StatefulSets, and the Istio control plane of the demo
// (its MutatingWebhookConfigurations, the istio-system ConfigMaps and that namespace). Objects go
// straight from the generator into the store, which keeps only their serialised JSON.
import { fileURLToPath } from 'node:url';
import { readSnapshotObjects } from '../../src/cluster/snapshot-source.js';
import { generateSyntheticCluster } from '../synthetic/synthetic-cluster.js';
import type { ObjectStore } from './store.js';
import type { RawObject } from './types.js';

export interface SyntheticClusterOptions {
  pods: number;
  namespaces: number;
  /** Objects of the control plane; default: the demo's (demoControlPlane()). */
  controlPlane?: readonly RawObject[];
}

export const DEMO_PATH = fileURLToPath(new URL('../../demo/cluster.yaml', import.meta.url));

/** The demo's webhooks and ConfigMaps, with the Namespace objects the ConfigMaps live in. */
export function demoControlPlane(): RawObject[] {
  const objects = readSnapshotObjects(DEMO_PATH);
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  const namespaces = new Set(configMaps.map((o) => o.metadata?.namespace));
  return [
    ...objects.filter((o) => o.kind === 'Namespace' && namespaces.has(o.metadata?.name)),
    ...objects.filter((o) => o.kind === 'MutatingWebhookConfiguration'),
    ...configMaps,
  ];
}

/** Parses `PODS:NAMESPACES` (e.g. 100000:2000); throws an Error worded for a command line. */
export function parseSyntheticSpec(text: string): { pods: number; namespaces: number } {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  const pods = Number(match?.[1]);
  const namespaces = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(pods) || !Number.isSafeInteger(namespaces)) {
    throw new Error(`--synthetic expects PODS:NAMESPACES, e.g. 100000:2000 (got ${JSON.stringify(text)})`);
  }
  checkSynthetic({ pods, namespaces });
  return { pods, namespaces };
}

function checkSynthetic({ pods, namespaces }: { pods: number; namespaces: number }): void {
  if (!Number.isSafeInteger(namespaces) || namespaces < 1) throw new Error(`--synthetic needs at least 1 namespace (got ${namespaces})`);
  if (!Number.isSafeInteger(pods) || pods < 0) throw new Error(`--synthetic needs a pod count of 0 or more (got ${pods})`);
  if (pods > 1_000_000) throw new Error(`--synthetic: at most 1000000 pods (got ${pods})`);
  if (namespaces > 10_000) throw new Error(`--synthetic: at most 10000 namespaces (got ${namespaces})`);
}

/** Seeds `store` (as pre-existing state, no history); returns the kinds skipped as not served. */
export function seedSynthetic(store: ObjectStore, options: SyntheticClusterOptions): string[] {
  checkSynthetic(options);
  const controlPlane = structuredClone(options.controlPlane ?? demoControlPlane()) as RawObject[];
  return store.seed((add) => generateSyntheticCluster({ pods: options.pods, namespaces: options.namespaces, controlPlane }, add));
}

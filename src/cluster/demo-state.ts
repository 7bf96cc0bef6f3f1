// The bundled demo cluster state (`--demo`). From a clone or an npm install it is read from demo/; the
// single-file release build (scripts/package) embeds those files as __KUBECTL_INJECT_DEMO__ instead,
// since a lone executable has no demo/ folder beside it.
//
// The demo is a fleet of two clusters, exposed as contexts: "demo" (demo/cluster.yaml, what `--demo`
// alone reads) and "east" (demo/east.yaml), for `--demo --all-contexts` and `--demo --context demo,east`.
import { fileURLToPath } from 'node:url';
import type { RawObject } from './records.js';
import { parseSnapshotText, SnapshotSource, stateFromObjects } from './snapshot-source.js';
import { UserError, type SourceInfo } from './source.js';

/** Set only in the release bundle (esbuild `define`): the files of demo/, in the order a directory read takes them. */
declare const __KUBECTL_INJECT_DEMO__: { name: string; text: string }[] | undefined;

interface DemoContext {
  name: string;
  file: string;
  info: SourceInfo;
}

const DEMO_CONTEXTS: readonly DemoContext[] = [
  { name: 'demo', file: 'cluster.yaml', info: { type: 'demo', location: 'demo/' } },
  { name: 'east', file: 'east.yaml', info: { type: 'demo', location: 'demo/east.yaml' } },
];

/** The demo's context names, the default one first. */
export const DEMO_CONTEXT_NAMES: readonly string[] = DEMO_CONTEXTS.map((c) => c.name);
export const DEFAULT_DEMO_CONTEXT = 'demo';

export function demoSource(context: string = DEFAULT_DEMO_CONTEXT): SnapshotSource {
  const demo = DEMO_CONTEXTS.find((c) => c.name === context);
  if (!demo) throw new UserError(`context "${context}" does not exist in the demo (its contexts: ${DEMO_CONTEXT_NAMES.join(', ')})`, 2);
  if (typeof __KUBECTL_INJECT_DEMO__ === 'undefined') {
    return SnapshotSource.fromPath(fileURLToPath(new URL(`../../demo/${demo.file}`, import.meta.url))).withInfo(demo.info);
  }
  const objects: RawObject[] = [];
  for (const file of __KUBECTL_INJECT_DEMO__) if (file.name === `demo/${demo.file}`) objects.push(...parseSnapshotText(file.text, file.name));
  return new SnapshotSource(stateFromObjects(objects, demo.info.location ?? 'demo/'), demo.info);
}

// The bundled demo cluster state (`--demo`). From a clone or an npm install it is read from demo/; the
// single-file release build (scripts/package) embeds those files as __KUBECTL_INJECT_DEMO__ instead,
// since a lone executable has no demo/ folder beside it.
import { fileURLToPath } from 'node:url';
import type { RawObject } from './records.js';
import { parseSnapshotText, SnapshotSource, stateFromObjects } from './snapshot-source.js';
import type { SourceInfo } from './source.js';

/** Set only in the release bundle (esbuild `define`): the files of demo/, in the order a directory read takes them. */
declare const __KUBECTL_INJECT_DEMO__: { name: string; text: string }[] | undefined;

const DEMO_INFO: SourceInfo = { type: 'demo', location: 'demo/' };

export function demoSource(): SnapshotSource {
  if (typeof __KUBECTL_INJECT_DEMO__ === 'undefined') {
    return SnapshotSource.fromPath(fileURLToPath(new URL('../../demo/', import.meta.url))).withInfo(DEMO_INFO);
  }
  const objects: RawObject[] = [];
  for (const file of __KUBECTL_INJECT_DEMO__) objects.push(...parseSnapshotText(file.text, file.name));
  return new SnapshotSource(stateFromObjects(objects, 'demo/'), DEMO_INFO);
}

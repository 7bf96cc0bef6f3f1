// Stands in for '@oclif/core/run' where src/cli/main.ts imports it, in the release bundle only (see bundle.ts).
// oclif normally reads package.json beside the code and imports the command table's file
// (explicit strategy: dist/commands/index.js); a single-file bundle has neither. So `run` loads oclif
// with the package.json fields embedded at build time, and a root plugin whose command table is
// already in memory. Everything else is oclif's own.
import { dirname } from 'node:path';
import { Plugin, run as oclifRun } from '@oclif/core';
import { COMMANDS } from '../../src/commands/index.js';
import { PJSON } from 'kubectl-inject:package-json';

type Pjson = NonNullable<ConstructorParameters<typeof Plugin>[0]['pjson']>;

export async function run(argv?: string[], _options?: unknown): Promise<unknown> {
  const pjson = structuredClone(PJSON) as unknown as Pjson;
  // Nothing is read from the root; it only names where the executable lives.
  const root = dirname(process.argv[1] || process.execPath);
  const plugin = new Plugin({ root, pjson, isRoot: true, ignoreManifest: true });
  // What oclif caches after importing the explicit strategy's target module.
  (plugin as unknown as { commandCache: unknown }).commandCache = COMMANDS;
  await plugin.load();
  return oclifRun(argv, { root, pjson, plugins: new Map([[plugin.name, plugin]]) });
}

// The single-file bundle of the CLI (esbuild): every dependency inside, the demo state and the
// package.json fields oclif reads embedded. CommonJS, so that the same file runs as `kubectl-inject` on
// the user's Node (no package.json "type" needed beside it) and as the main script of a Node single
// executable application, which must be CommonJS.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, type Message, type Plugin } from 'esbuild';

export interface Bundle {
  /** The executable script: `#!/usr/bin/env node`, then the bundle. */
  code: string;
  /** Package directories (under node_modules) the bundle contains code of. */
  packages: string[];
  warnings: Message[];
  /** What the build chose to leave out or keep, worth a line of output. */
  notes: string[];
}

/** package.json fields oclif (and --version / help) read at run time. */
const PJSON_FIELDS = ['name', 'version', 'description', 'license', 'type', 'engines', 'bin', 'oclif'];

/** The files of demo/ in the order SnapshotSource reads a directory (sorted, recursive, YAML/JSON). */
export function demoFiles(dir: string, base = dir): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...demoFiles(full, base));
    else if (/\.(ya?ml|json)$/i.test(entry)) out.push({ name: `demo/${relative(base, full).split('\\').join('/')}`, text: readFileSync(full, 'utf8') });
  }
  return out;
}

const CLIENT_NODE = '@kubernetes/client-node';

/**
 * The names src/ takes from @kubernetes/client-node, or null when some use is not a plain named import
 * (then the whole package is bundled). src/ imports it lazily (`const { KubeConfig } = await import(...)`),
 * which esbuild cannot tree-shake: the bundle narrows it to these names instead.
 */
export function clientNodeNames(srcDir: string): string[] | null {
  const names = new Set<string>();
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? walk(join(dir, e)) : e.endsWith('.ts') ? [join(dir, e)] : []));
  })(srcDir);
  const quoted = `['"]${CLIENT_NODE.replace('/', '\\/')}['"]`;
  const staticImport = new RegExp(`import\\s+(type\\s+)?\\{([^}]*)\\}\\s*from\\s*${quoted}`, 'g');
  const lazyImport = new RegExp(`const\\s*\\{([^}]*)\\}\\s*=\\s*await\\s+import\\(\\s*${quoted}\\s*\\)`, 'g');
  const anyUse = new RegExp(quoted, 'g');
  for (const file of files) {
    const code = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    let understood = 0;
    for (const m of code.matchAll(staticImport)) {
      understood++;
      if (m[1]) continue; // import type
      for (const item of m[2].split(',').map((x) => x.trim()).filter(Boolean)) if (!item.startsWith('type ')) names.add(item.split(/\s+as\s+/)[0]);
    }
    for (const m of code.matchAll(lazyImport)) {
      understood++;
      for (const item of m[1].split(',').map((x) => x.trim()).filter(Boolean)) names.add(item.split(':')[0].trim());
    }
    if ([...code.matchAll(anyUse)].length !== understood) return null;
  }
  return [...names].sort();
}

function embedPlugin(root: string, pjson: Record<string, unknown>, notes: string[]): Plugin {
  const mainModule = join(root, 'src/cli/main.ts');
  const srcDir = join(root, 'src') + '/';
  const virtual = (contents: string) => ({ contents, loader: 'js' as const, resolveDir: root });
  return {
    name: 'kubectl-inject-embed',
    setup(b) {
      // src/cli/main.ts runs oclif from the package root; in the bundle it gets a loader with everything embedded.
      let oclifLoader = false;
      b.onResolve({ filter: /^@oclif\/core\/run$/ }, (args) => {
        if (args.importer !== mainModule) return undefined;
        oclifLoader = true;
        return { path: join(root, 'scripts/package/oclif-core.ts') };
      });
      b.onEnd((result) => {
        if (!oclifLoader && result.errors.length === 0) {
          result.errors.push({ id: '', pluginName: 'kubectl-inject-embed', text: 'src/cli/main.ts no longer imports run from @oclif/core/run: the bundle would not start; update scripts/package', location: null, notes: [], detail: undefined });
        }
      });
      b.onResolve({ filter: /^kubectl-inject:package-json$/ }, () => ({ path: 'package-json', namespace: 'kubectl-inject' }));
      b.onLoad({ filter: /^package-json$/, namespace: 'kubectl-inject' }, () => {
        const picked = Object.fromEntries(PJSON_FIELDS.filter((k) => k in pjson).map((k) => [k, pjson[k]]));
        return virtual(`export const PJSON = ${JSON.stringify(picked)};\n`);
      });

      // Only KubeConfig and what it needs, not every API class and model: about 2.7 MB less to parse at each start.
      const names = clientNodeNames(join(root, 'src'));
      const configModule = join(root, 'node_modules', CLIENT_NODE, 'dist/config.js');
      const configExports = new Set([...readFileSync(configModule, 'utf8').matchAll(/export\s+(?:async\s+)?(?:class|function\*?|const|let|var)\s+(\w+)/g)].map((m) => m[1]));
      if (names && names.length > 0 && names.every((n) => configExports.has(n))) {
        b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) => (args.importer.startsWith(srcDir) ? { path: 'client-node', namespace: 'kubectl-inject' } : undefined));
        b.onLoad({ filter: /^client-node$/, namespace: 'kubectl-inject' }, () => virtual(`export { ${names.join(', ')} } from '${CLIENT_NODE}/dist/config.js';\n`));
      } else {
        notes.push(`src/ uses ${names ? names.join(', ') : 'all of'} ${CLIENT_NODE}: the whole package is bundled (slower start-up)`);
      }

      // node-fetch 2 takes URL from node:url and whatwg-url only where Node has none; skip its Unicode tables.
      b.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'kubectl-inject' }));
      b.onLoad({ filter: /^whatwg-url$/, namespace: 'kubectl-inject' }, () => virtual(`module.exports = { URL: require('node:url').URL };\n`));
      // Optional packages, absent as if not installed (nothing is looked up on disk at run time): oclif reads
      // tsconfig.json with typescript only to run TypeScript sources; node-fetch converts legacy charsets with
      // encoding if present.
      b.onResolve({ filter: /^(typescript|encoding)$/ }, (args) => ({ path: args.path, namespace: 'kubectl-inject-absent' }));
      b.onLoad({ filter: /.*/, namespace: 'kubectl-inject-absent' }, (args) =>
        virtual(`throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}' (not part of the kubectl-inject bundle)`)}), { code: 'MODULE_NOT_FOUND' });\n`),
      );
    },
  };
}

export async function bundle(projectRoot: string): Promise<Bundle> {
  // esbuild names importers by their real paths.
  const root = realpathSync(projectRoot);
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const notes: string[] = [];
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'scripts/package/entry.ts')],
    outfile: join(root, 'dist/release/kubectl-inject.js'),
    write: false,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.19',
    minify: true,
    legalComments: 'none', // the archives carry THIRD_PARTY_LICENSES
    charset: 'utf8',
    metafile: true,
    logLevel: 'silent',
    // CommonJS has no import.meta: give code that uses import.meta.url the bundle's own URL.
    banner: { js: '#!/usr/bin/env node\nvar __kubectl_inject_import_meta_url = require("url").pathToFileURL(__filename).href;' },
    define: {
      'import.meta.url': '__kubectl_inject_import_meta_url',
      // oclif checks Node against the engines of the package.json at <bundle dir>/../package.json, which in a
      // bundle is not oclif's (or anyone's).
      'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"',
      __KUBECTL_INJECT_DEMO__: JSON.stringify(demoFiles(join(root, 'demo'))),
    },
    plugins: [embedPlugin(root, pjson, notes)],
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.add(m[1]);
  }
  return { code: result.outputFiles[0].text, packages: [...packages].sort(), warnings: result.warnings, notes };
}

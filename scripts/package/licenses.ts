// THIRD_PARTY_LICENSES: the license texts of every package whose code is in the bundle (and of Node.js
// for the standalone executable, which contains it), as their licenses ask of redistributions.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;
const RULE = '='.repeat(80);

interface Notice {
  title: string;
  text: string;
}

function packageNotice(dir: string): Notice {
  const pjson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string | { type?: string } };
  const license = typeof pjson.license === 'string' ? pjson.license : pjson.license?.type ?? 'license not stated';
  const files = readdirSync(dir).filter((f) => LICENSE_FILE.test(f)).sort();
  const text = files.map((f) => readFileSync(join(dir, f), 'utf8').trim()).join('\n\n');
  return { title: `${pjson.name} ${pjson.version} (${license})`, text: text || `(the package ships no license file; package.json: ${license})` };
}

/** Node's LICENSE: beside the binary's prefix in official builds, under share/doc in distribution packages. */
export function nodeLicenseFile(): string {
  const fromEnv = process.env.KUBECTL_INJECT_NODE_LICENSE;
  if (fromEnv) return fromEnv;
  const prefix = dirname(dirname(process.execPath));
  const candidates = [join(prefix, 'LICENSE'), join(prefix, 'share/doc/node/LICENSE'), join(prefix, 'share/doc/nodejs/LICENSE')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`cannot find the LICENSE of ${process.execPath} (looked at ${candidates.join(', ')}); set KUBECTL_INJECT_NODE_LICENSE to its path`);
  return found;
}

/** The notices file for the bundle's packages (directories relative to root), plus Node.js if asked. */
export function thirdPartyLicenses(root: string, packageDirs: string[], withNode: boolean): string {
  const notices = new Map<string, Notice>();
  for (const dir of packageDirs) {
    const notice = packageNotice(join(root, dir));
    notices.set(notice.title, notice);
  }
  const sorted = [...notices.values()].sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
  if (withNode) sorted.push({ title: `Node.js ${process.version} (the runtime inside the standalone executable)`, text: readFileSync(nodeLicenseFile(), 'utf8').trim() });
  const head = `kubectl-inject contains code from the following projects, under their licenses.\n`;
  return head + sorted.map((n) => `\n${RULE}\n${n.title}\n${RULE}\n\n${n.text}\n`).join('');
}

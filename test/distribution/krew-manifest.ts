// krew's rules for a plugin manifest, as `kubectl krew install` and krew-index's validate-krew-manifest
// apply them (sigs.k8s.io/krew: pkg/index/validation and cmd/validate-krew-manifest), including the
// line-length limits krew-index warns about. Returns the problems; none means krew accepts the file.
import yaml from 'js-yaml';

const API_VERSION = 'krew.googlecontainertools.github.com/v1alpha2';
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const SAFE_NAME = /^[\w-]+$/;
const WINDOWS_FORBIDDEN = ['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])];
/** <os, arch> pairs krew runs on. */
export const KREW_PLATFORMS: [string, string][] = [
  ['darwin', 'amd64'], ['darwin', 'arm64'],
  ['linux', '386'], ['linux', 'amd64'], ['linux', 'arm'], ['linux', 'arm64'], ['linux', 'ppc64le'], ['linux', 's390x'],
  ['windows', '386'], ['windows', 'amd64'], ['windows', 'arm64'],
];

interface Expression {
  key: string;
  operator: string;
  values?: string[];
}
interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Expression[];
}
export interface KrewPlatform {
  selector?: Selector | null;
  uri?: string;
  sha256?: string;
  bin?: string;
  files?: { from?: string; to?: string }[] | null;
}
export interface KrewPlugin {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    version?: string;
    homepage?: string;
    shortDescription?: string;
    description?: string;
    caveats?: string;
    platforms?: KrewPlatform[];
  };
}

export function selectorMatches(selector: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = has && (e.values ?? []).includes(labels[e.key]);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function longLines(text: string | undefined, max: number): boolean {
  // krew-index allows a long line that is a single word.
  return (text ?? '').split('\n').some((l) => l.length > max && l.trim().includes(' '));
}

function selectorProblems(sel: Selector | null | undefined): string[] {
  if (!sel) return ['nil selector is not supported'];
  if (sel.matchLabels == null && (sel.matchExpressions ?? []).length === 0) return ['empty selector is not supported'];
  const out: string[] = [];
  const keys = [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)];
  for (const k of keys) if (k !== 'os' && k !== 'arch') out.push(`selector key "${k}" not supported (only os and arch)`);
  if (sel.matchLabels != null && Object.keys(sel.matchLabels).length === 0) out.push('`matchLabels` specified but empty');
  if (sel.matchExpressions != null && sel.matchExpressions.length === 0) out.push('`matchExpressions` specified but empty');
  for (const e of sel.matchExpressions ?? []) if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) out.push(`selector operator "${e.operator}" is not valid`);
  return out;
}

export function parseKrewManifest(text: string): KrewPlugin {
  return yaml.load(text) as KrewPlugin;
}

/** Problems krew would report for `text` as the manifest of the plugin `name`. */
export function krewManifestProblems(text: string, name: string): string[] {
  let p: KrewPlugin;
  try {
    p = parseKrewManifest(text);
  } catch (err) {
    return [`not valid YAML: ${(err as Error).message.split('\n')[0]}`];
  }
  const out: string[] = [];
  if (p?.apiVersion !== API_VERSION) out.push(`apiVersion is ${JSON.stringify(p?.apiVersion)}, not ${API_VERSION}`);
  if (p?.kind !== 'Plugin') out.push(`kind is ${JSON.stringify(p?.kind)}, not Plugin`);
  if (!SAFE_NAME.test(name) || WINDOWS_FORBIDDEN.includes(name.toUpperCase())) out.push(`plugin name "${name}" is not allowed`);
  if (p?.metadata?.name !== name) out.push(`metadata.name is ${JSON.stringify(p?.metadata?.name)}, not "${name}"`);
  const spec = p?.spec ?? {};
  if (!spec.shortDescription) out.push('no shortDescription');
  else if (/[\r\n]/.test(spec.shortDescription)) out.push('line break in shortDescription');
  if (!spec.version) out.push('no version');
  else if (!SEMVER.test(spec.version)) out.push(`version "${spec.version}" is not semver with a leading v`);
  if (longLines(spec.description, 80)) out.push('a line of description is longer than 80 characters');
  if (longLines(spec.shortDescription, 70)) out.push('shortDescription is longer than 70 characters');
  if (longLines(spec.caveats, 80)) out.push('a line of caveats is longer than 80 characters');
  const platforms = spec.platforms ?? [];
  if (platforms.length === 0) out.push('no platform');
  platforms.forEach((pl, i) => {
    const at = `platforms[${i}]`;
    if (!pl.uri) out.push(`${at}: no uri`);
    if (!pl.sha256) out.push(`${at}: no sha256`);
    else if (!/^[a-f0-9]{64}$/.test(pl.sha256)) out.push(`${at}: sha256 "${pl.sha256}" is not 64 lower-case hex digits`);
    if (!pl.bin) out.push(`${at}: no bin`);
    if (pl.files !== undefined && pl.files !== null) {
      if (pl.files.length === 0) out.push(`${at}: files is empty (omit it or list files)`);
      for (const f of pl.files) if (!f.from || !f.to) out.push(`${at}: a files entry lacks from or to`);
    }
    for (const s of selectorProblems(pl.selector)) out.push(`${at}: ${s}`);
    if (pl.selector && !KREW_PLATFORMS.some(([os, arch]) => selectorMatches(pl.selector!, { os, arch }))) out.push(`${at}: the selector matches no platform krew runs on`);
  });
  for (const [os, arch] of KREW_PLATFORMS) {
    const matching = platforms.flatMap((pl, i) => (pl.selector && selectorMatches(pl.selector, { os, arch }) ? [i] : []));
    if (matching.length > 1) out.push(`platforms ${matching.join(', ')} overlap: all select ${os}/${arch}`);
  }
  return out;
}

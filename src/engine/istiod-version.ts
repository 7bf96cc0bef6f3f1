// The version of a revision's istiod, which decides which of Istio's rules apply (see version-rules.ts).
// Read, in this order, from the injector ConfigMap's values (global.tag), its labels
// (operator.istio.io/version, app.kubernetes.io/version), or the image of the istiod Deployment.
// Tags that are not versions (latest, a commit hash, master-...) say nothing.

export interface IstiodVersion {
  major: number;
  minor: number;
  patch: number;
  /** The text the version was read from, e.g. "1.26.2-distroless". */
  text: string;
  /** Where it was read, e.g. "values global.tag of istio-system/istio-sidecar-injector". */
  source: string;
}

/** "1.26", "1.26.2", "v1.26.2", "1.28.0-distroless", "1.24.1-asm.3", "1.31.0-rc.0". */
export function parseVersion(text: string): { major: number; minor: number; patch: number } | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+._].*)?$/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]) };
}

export const VERSION_LABELS = ['operator.istio.io/version', 'app.kubernetes.io/version'] as const;

export interface VersionSources {
  configMap: string;
  /** values global.tag, '' when absent. */
  tag: string;
  labels: Record<string, string>;
  /** Image of the istiod Deployment of the revision, when known. */
  istiodImage?: { image: string; deployment: string } | null;
  /**
   * The oldest version the ConfigMap's own format allows (a `templates:` map needs istiod 1.9+): an older
   * reading is a placeholder (Istio's test charts say 1.0.0) and is skipped, with a note.
   */
  minimum?: { major: number; minor: number } | null;
  /** Receives a line per skipped reading. */
  notes?: string[];
}

/** The image tag: the part after the last ':' that follows the last '/' (digests are not versions). */
export function imageTag(image: string): string | null {
  const name = image.split('@')[0] ?? '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : null;
}

export function istiodVersion(sources: VersionSources): IstiodVersion | null {
  const candidates: { text: string; source: string }[] = [];
  if (sources.tag) candidates.push({ text: sources.tag, source: `values global.tag of ${sources.configMap}` });
  for (const key of VERSION_LABELS) {
    const v = sources.labels[key];
    if (v) candidates.push({ text: v, source: `label ${key} of ${sources.configMap}` });
  }
  const image = sources.istiodImage;
  if (image) {
    const tag = imageTag(image.image);
    if (tag) candidates.push({ text: tag, source: `image ${image.image} of ${image.deployment}` });
  }
  for (const c of candidates) {
    const v = parseVersion(c.text);
    if (!v) continue;
    const min = sources.minimum;
    if (min && !atLeast(v, min.major, min.minor)) {
      sources.notes?.push(`${c.source} says ${c.text}, older than the ConfigMap's format allows (istiod ${min.major}.${min.minor}+): ignored`);
      continue;
    }
    return { ...v, text: c.text, source: c.source };
  }
  return null;
}

/** a >= b on major.minor[.patch]. */
export function atLeast(v: Pick<IstiodVersion, 'major' | 'minor' | 'patch'>, major: number, minor: number, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

export function formatVersion(v: IstiodVersion | null): string {
  return v ? `${v.major}.${v.minor}.${v.patch}` : 'unknown';
}

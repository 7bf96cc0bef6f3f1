// The proxy image a revision's injector would put into a pod now (pkg/kube/inject ProxyImage/imageURL
// and the sidecar template's image line), with image variants resolved the way the injector does.
import type { InjectorConfig, MeshConfig } from './injector-config.js';
import { selectorMatches, compileSelector } from './label-selector.js';
import type { Labels, ProxyConfigRecord } from './types.js';
import yaml from 'js-yaml';

export const KNOWN_IMAGE_TYPES = ['distroless', 'debug'];

/** updateImageTypeIfPresent: strip a known variant suffix, then add the requested one ("default" adds none). */
export function tagWithImageType(tag: string, imageType: string): string {
  if (imageType === '') return tag;
  let base = tag;
  for (const known of KNOWN_IMAGE_TYPES) {
    if (base.endsWith(`-${known}`)) {
      base = base.slice(0, base.length - known.length - 1);
      break;
    }
  }
  return imageType === 'default' ? base : `${base}-${imageType}`;
}

export interface ImageTypeSource {
  /** The image type the effective ProxyConfig carries; undefined when no level sets an image at all. */
  imageType: string | undefined;
  source: string;
}

function oldestFirst(a: ProxyConfigRecord, b: ProxyConfigRecord): number {
  // sortConfigByCreationTime: creation time, then name, then namespace (no time = the zero time).
  const ta = a.creationTimestamp ? Date.parse(a.creationTimestamp) : 0;
  const tb = b.creationTimestamp ? Date.parse(b.creationTimestamp) : 0;
  if (ta !== tb) return ta - tb;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}

const sortedLists = new WeakMap<ProxyConfigRecord[], ProxyConfigRecord[]>();

/** The list sorted oldest first, once per list (a cluster's list is shared by every pod of an audit). */
function oldestFirstList(list: ProxyConfigRecord[]): ProxyConfigRecord[] {
  if (list.length < 2) return list;
  let sorted = sortedLists.get(list);
  if (!sorted) {
    sorted = [...list].sort(oldestFirst);
    sortedLists.set(list, sorted);
  }
  return sorted;
}

/** The image part of the proxy.istio.io/config annotation: undefined = no image; null = does not parse (ignored). */
function annotationImageType(annotation: string): string | undefined | null {
  try {
    const cfg = yaml.load(annotation) as { image?: { imageType?: unknown } } | null;
    if (cfg === null || cfg === undefined) return undefined;
    if (typeof cfg !== 'object' || Array.isArray(cfg)) return null;
    if (!cfg.image || typeof cfg.image !== 'object') return undefined;
    return typeof cfg.image.imageType === 'string' ? cfg.image.imageType : '';
  } catch {
    return null;
  }
}

/**
 * The effective ProxyConfig image type for a pod (pilot/pkg/model/proxy_config.go EffectiveProxyConfig),
 * highest first: the ProxyConfig selecting the workload (non-empty matchLabels), the pod's
 * proxy.istio.io/config annotation, the namespace-wide ProxyConfig (no selector at all; `selector: {}`
 * selects nothing), the root-namespace one, the mesh defaultConfig. At each level the oldest ProxyConfig
 * counts, whether or not it sets an image; levels merge field by field, so the highest level with a
 * non-empty image type gives it.
 */
export function effectiveImageType(
  namespace: string,
  podLabels: Labels,
  annotations: Labels,
  proxyConfigs: ProxyConfigRecord[],
  mesh: MeshConfig,
): ImageTypeSource {
  const sorted = oldestFirstList(proxyConfigs);
  const levels: ImageTypeSource[] = [];
  const workload = sorted.find(
    (p) => p.namespace === namespace && p.selector !== null && Object.keys(p.selector).length > 0 &&
      selectorMatches(compileSelector({ matchLabels: p.selector }), podLabels),
  );
  if (workload) levels.push({ imageType: workload.imageType, source: `ProxyConfig ${workload.namespace}/${workload.name}` });
  const annotation = annotations['proxy.istio.io/config'];
  if (annotation !== undefined) {
    const t = annotationImageType(annotation);
    if (t !== null) levels.push({ imageType: t, source: 'annotation proxy.istio.io/config' });
  }
  if (namespace !== mesh.rootNamespace) {
    const nsWide = sorted.find((p) => p.namespace === namespace && p.selector === null);
    if (nsWide) levels.push({ imageType: nsWide.imageType, source: `ProxyConfig ${nsWide.namespace}/${nsWide.name}` });
  }
  const root = sorted.find((p) => p.namespace === mesh.rootNamespace && p.selector === null);
  if (root) levels.push({ imageType: root.imageType, source: `ProxyConfig ${root.namespace}/${root.name}` });
  levels.push({ imageType: mesh.imageType, source: 'mesh defaultConfig.image' });
  const typed = levels.find((l) => l.imageType !== undefined && l.imageType !== '');
  if (typed) return typed;
  const set = levels.find((l) => l.imageType !== undefined);
  return set ?? { imageType: undefined, source: 'none' };
}

export interface ExpectedImage {
  image: string | null;
  /** Why: pinned by annotation, verbatim global.proxy.image, or hub/name:tag[-type]. */
  how: string;
  pinned: boolean;
}

export const PROXY_IMAGE_ANNOTATION = 'sidecar.istio.io/proxyImage';

/** The templates pin the image only when sidecar.istio.io/proxyImage contains "/" (`contains "/"`). */
export function pinnedImage(annotations: Labels): string | null {
  const value = annotations[PROXY_IMAGE_ANNOTATION];
  return value !== undefined && value.includes('/') ? value : null;
}

/** The image the injector of `config` would give a pod with these annotations. */
export function expectedProxyImage(config: InjectorConfig, annotations: Labels, imageType: ImageTypeSource): ExpectedImage {
  const pinned = pinnedImage(annotations);
  if (pinned) return { image: pinned, how: `pinned by annotation ${PROXY_IMAGE_ANNOTATION}`, pinned: true };
  const ignored = annotations[PROXY_IMAGE_ANNOTATION] ? ` (annotation ${PROXY_IMAGE_ANNOTATION}=${JSON.stringify(annotations[PROXY_IMAGE_ANNOTATION])} has no "/", so the templates ignore it)` : '';
  if (config.proxyImage.includes('/')) {
    return { image: config.proxyImage, how: `global.proxy.image of ${config.configMap} (used verbatim)${ignored}`, pinned: false };
  }
  if (!config.hub && !config.tag) return { image: null, how: `${config.configMap} has no global.hub/global.tag`, pinned: false };
  // Up to 1.30 an image set with an empty type means no variant; from 1.31 an empty type falls back to global.variant.
  let type: string;
  let typeSource: string;
  if (imageType.imageType !== undefined && (imageType.imageType !== '' || !config.rules.emptyImageTypeUsesVariant)) {
    type = imageType.imageType;
    typeSource = imageType.source;
  } else {
    type = config.variant;
    typeSource = 'global.variant';
  }
  const override = annotations['sidecar.istio.io/proxyImageType'];
  if (override !== undefined) {
    type = override;
    typeSource = 'annotation sidecar.istio.io/proxyImageType';
  }
  const image = `${config.hub}/${config.proxyImage}:${tagWithImageType(config.tag, type)}`;
  const how = type ? `${config.configMap} hub/image:tag with image type "${type}" (${typeSource})` : `${config.configMap} hub/image:tag`;
  return { image, how: how + ignored, pinned: false };
}

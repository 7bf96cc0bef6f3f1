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
  imageType: string | undefined;
  source: string;
}

/**
 * The effective ProxyConfig image type for a pod, most specific first: the pod's proxy.istio.io/config
 * annotation, a ProxyConfig selecting the workload, a namespace-wide ProxyConfig, a root-namespace
 * ProxyConfig, the mesh defaultConfig. undefined when none sets an image.
 */
export function effectiveImageType(
  namespace: string,
  podLabels: Labels,
  annotations: Labels,
  proxyConfigs: ProxyConfigRecord[],
  mesh: MeshConfig,
): ImageTypeSource {
  const annotation = annotations['proxy.istio.io/config'];
  if (annotation) {
    try {
      const cfg = yaml.load(annotation) as { image?: { imageType?: unknown } } | null;
      if (cfg && typeof cfg === 'object' && cfg.image && typeof cfg.image === 'object') {
        const t = typeof cfg.image.imageType === 'string' ? cfg.image.imageType : '';
        return { imageType: t, source: 'annotation proxy.istio.io/config' };
      }
    } catch {
      // A malformed annotation is ignored by the injector's merge as well.
    }
  }
  const withImage = proxyConfigs.filter((p) => p.imageType !== undefined);
  const workload = withImage.find(
    (p) => p.namespace === namespace && p.selector !== null && Object.keys(p.selector).length > 0 &&
      selectorMatches(compileSelector({ matchLabels: p.selector }), podLabels),
  );
  if (workload) return { imageType: workload.imageType, source: `ProxyConfig ${workload.namespace}/${workload.name}` };
  const isWide = (p: ProxyConfigRecord) => p.selector === null || Object.keys(p.selector).length === 0;
  const nsWide = withImage.find((p) => p.namespace === namespace && isWide(p));
  if (nsWide) return { imageType: nsWide.imageType, source: `ProxyConfig ${nsWide.namespace}/${nsWide.name}` };
  const root = withImage.find((p) => p.namespace === mesh.rootNamespace && isWide(p));
  if (root) return { imageType: root.imageType, source: `ProxyConfig ${root.namespace}/${root.name}` };
  if (mesh.imageType !== undefined) return { imageType: mesh.imageType, source: 'mesh defaultConfig.image' };
  return { imageType: undefined, source: 'none' };
}

export interface ExpectedImage {
  image: string | null;
  /** Why: pinned by annotation, verbatim global.proxy.image, or hub/name:tag[-type]. */
  how: string;
  pinned: boolean;
}

/** The image the injector of `config` would give a pod with these annotations. */
export function expectedProxyImage(config: InjectorConfig, annotations: Labels, imageType: ImageTypeSource): ExpectedImage {
  const pinned = annotations['sidecar.istio.io/proxyImage'];
  if (pinned) return { image: pinned, how: 'pinned by annotation sidecar.istio.io/proxyImage', pinned: true };
  if (config.proxyImage.includes('/')) {
    return { image: config.proxyImage, how: `global.proxy.image of ${config.configMap} (used verbatim)`, pinned: false };
  }
  if (!config.hub && !config.tag) return { image: null, how: `${config.configMap} has no global.hub/global.tag`, pinned: false };
  let type = imageType.imageType !== undefined ? imageType.imageType : config.variant;
  let typeSource = imageType.imageType !== undefined ? imageType.source : 'global.variant';
  const override = annotations['sidecar.istio.io/proxyImageType'];
  if (override !== undefined) {
    type = override;
    typeSource = 'annotation sidecar.istio.io/proxyImageType';
  }
  const image = `${config.hub}/${config.proxyImage}:${tagWithImageType(config.tag, type)}`;
  const how = type ? `${config.configMap} hub/image:tag with image type "${type}" (${typeSource})` : `${config.configMap} hub/image:tag`;
  return { image, how, pinned: false };
}

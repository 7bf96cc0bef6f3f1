// Which of Istio's version-dependent injection rules a revision's istiod applies. Facts (istio/istio
// release branches 1.22-1.31): pkg/kube/inject/inject.go (injectRequired, ProxyImage),
// pkg/kube/inject/validate.go (AnnotationValidation). Unknown version: the newest rules, and say so.
import { atLeast, formatVersion, type IstiodVersion } from './istiod-version.js';

export type InjectValueRule = 'yaml-bool' | 'exact';

export interface RuleSet {
  version: IstiodVersion | null;
  /** The rules are the newest because the version is unknown. */
  assumed: boolean;
  /** In a few words, for explanations: "istiod 1.26.2 (1.22-1.26 rules)". */
  label: string;
  /**
   * sidecar.istio.io/inject: up to 1.26 the value is lower-cased, y/yes/true/on opt in, "" is unset and
   * anything else opts out; from 1.27 (#56737) only "true"/"false" count, anything else is unset.
   */
  injectValue: InjectValueRule;
  /** From 1.31 (#59292) an empty ProxyConfig image type falls back to global.variant. */
  emptyImageTypeUsesVariant: boolean;
  /** Only istiod older than 1.10 renders the single legacy `template:` key. */
  legacyTemplate: boolean;
  /** Annotations validateAnnotations checks (a bad value makes the webhook refuse the pod). */
  validatedAnnotations: ReadonlySet<string>;
}

/** Checked by every version 1.22-1.31. */
export const BASE_VALIDATED_ANNOTATIONS = [
  'sidecar.istio.io/interceptionMode',
  'status.sidecar.istio.io/port',
  'readiness.status.sidecar.istio.io/initialDelaySeconds',
  'readiness.status.sidecar.istio.io/periodSeconds',
  'readiness.status.sidecar.istio.io/failureThreshold',
  'traffic.sidecar.istio.io/includeOutboundIPRanges',
  'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  'traffic.sidecar.istio.io/includeInboundPorts',
  'traffic.sidecar.istio.io/excludeInboundPorts',
  'traffic.sidecar.istio.io/excludeOutboundPorts',
  'prometheus.istio.io/merge-metrics',
  'proxy.istio.io/config',
] as const;
/** Up to 1.24. */
export const CORE_DUMP_ANNOTATION = 'sidecar.istio.io/enableCoreDump';
/** From 1.27: Kubernetes resource quantities. */
export const QUANTITY_ANNOTATIONS = ['sidecar.istio.io/proxyCPU', 'sidecar.istio.io/proxyMemory', 'sidecar.istio.io/proxyCPULimit', 'sidecar.istio.io/proxyMemoryLimit'] as const;
/** From 1.30: Linux interface name lists. */
export const INTERFACE_ANNOTATIONS = ['traffic.sidecar.istio.io/excludeInterfaces', 'traffic.sidecar.istio.io/kubevirtInterfaces', 'istio.io/reroute-virtual-interfaces'] as const;

/** Every annotation some version validates (a decision depends on them). */
export const ALL_VALIDATED_ANNOTATIONS: readonly string[] = [...BASE_VALIDATED_ANNOTATIONS, CORE_DUMP_ANNOTATION, ...QUANTITY_ANNOTATIONS, ...INTERFACE_ANNOTATIONS];

const cache = new Map<string, RuleSet>();

export function rulesFor(version: IstiodVersion | null): RuleSet {
  const key = version ? `${version.major}.${version.minor}.${version.patch}` : '';
  const known = cache.get(key);
  if (known) return known;
  // Unknown: the newest rules.
  const v = version ?? { major: Number.MAX_SAFE_INTEGER, minor: 0, patch: 0 };
  const validated = new Set<string>(BASE_VALIDATED_ANNOTATIONS);
  if (!atLeast(v, 1, 25)) validated.add(CORE_DUMP_ANNOTATION);
  if (atLeast(v, 1, 27)) for (const a of QUANTITY_ANNOTATIONS) validated.add(a);
  if (atLeast(v, 1, 30)) for (const a of INTERFACE_ANNOTATIONS) validated.add(a);
  const exact = atLeast(v, 1, 27);
  const rules: RuleSet = {
    version,
    assumed: version === null,
    label: version
      ? `istiod ${formatVersion(version)} (${exact ? '1.27+' : 'pre-1.27'} rules)`
      : 'istiod version unknown (newest rules assumed)',
    injectValue: exact ? 'exact' : 'yaml-bool',
    emptyImageTypeUsesVariant: atLeast(v, 1, 31),
    legacyTemplate: !atLeast(v, 1, 10),
    validatedAnnotations: validated,
  };
  cache.set(key, rules);
  return rules;
}

/** How an istiod of these rules reads a sidecar.istio.io/inject value: opt in, opt out, or unset. */
export function readInjectValue(rules: Pick<RuleSet, 'injectValue'>, value: string): 'in' | 'out' | 'unset' {
  if (rules.injectValue === 'exact') return value === 'true' ? 'in' : value === 'false' ? 'out' : 'unset';
  const v = value.toLowerCase();
  if (v === 'y' || v === 'yes' || v === 'true' || v === 'on') return 'in';
  return v === '' ? 'unset' : 'out';
}

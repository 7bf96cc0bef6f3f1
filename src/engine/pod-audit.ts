// One pod: desired (decision) versus actual (what it runs), the drift codes a restart would change,
// and the findings a restart alone does not fix.
import type { ClusterContext } from './cluster-context.js';
import { cached } from './bounded-cache.js';
import { decideCached, type Decision } from './decision.js';
import { INJECT_KEY } from './injector-policy.js';
import { readInjectValue, rulesFor } from './version-rules.js';
import { effectiveImageType, expectedProxyImage, type ExpectedImage } from './proxy-image.js';
import { detectActual, STATUS_ANNOTATION, templateKeptImage, type ActualState } from './sidecar-detection.js';
import { dataplaneKey, desiredDataplane, DATAPLANE_MODE, type Dataplane, type DataplaneInput, type DesiredDataplane } from './dataplane.js';
import { notCapturedReason, podAmbientFindings } from './ambient-findings.js';
import { namespaceOf } from './cluster-context.js';
import type { WaypointRef } from './waypoints.js';
import type { WorkloadRef } from './workloads.js';
import type { Finding, PodRecord } from './types.js';

export type DriftCode = 'MissingSidecar' | 'UnexpectedSidecar' | 'RevisionMismatch' | 'ProxyImageMismatch' | 'StaleTemplate' | 'SidecarInAmbient' | 'NotCaptured';
export const DRIFT_CODES: DriftCode[] = ['MissingSidecar', 'UnexpectedSidecar', 'RevisionMismatch', 'ProxyImageMismatch', 'StaleTemplate', 'SidecarInAmbient', 'NotCaptured'];

export interface PodAudit {
  namespace: string;
  name: string;
  workload: WorkloadRef | null;
  desired: {
    inject: boolean;
    revision: string | null;
    reason: string;
    templates?: string[];
    /** The data plane the pod should have: sidecar (desired.revision's), ambient or none. */
    dataplane: Dataplane;
    dataplaneReason: string;
    /** The waypoint an ambient pod uses, when one is named. */
    waypoint?: WaypointRef;
  };
  actual: ActualState & { expectedImage?: string | null };
  drift: DriftCode[];
  findings: Finding[];
  /** With the NotCaptured drift: why the pod is not captured. */
  notCaptured?: string;
}

export interface PodAuditDetail extends PodAudit {
  decision: Decision;
  expected: ExpectedImage | null;
  dataplane: DesiredDataplane;
}

const desiredOf = new WeakMap<Decision, Map<DesiredDataplane, PodAudit['desired']>>();

/** The `desired` part of a pod audit, one object per decision and data plane (shared by the pods of a workload). */
function desiredFor(decision: Decision, dataplane: DesiredDataplane): PodAudit['desired'] {
  let byDataplane = desiredOf.get(decision);
  if (!byDataplane) {
    byDataplane = new Map();
    desiredOf.set(decision, byDataplane);
  }
  let desired = byDataplane.get(dataplane);
  if (!desired) {
    desired = {
      inject: decision.inject,
      revision: decision.revision,
      reason: decision.reason,
      ...(decision.inject ? { templates: decision.templates } : {}),
      dataplane: dataplane.dataplane,
      dataplaneReason: dataplane.reason,
      ...(dataplane.waypoint ? { waypoint: dataplane.waypoint } : {}),
    };
    byDataplane.set(dataplane, desired);
  }
  return desired;
}

/** The desired data plane of a pod (or pod template), cached by shape. */
export function dataplaneOf(ctx: ClusterContext, pod: PodRecord, decision: Decision, manualSidecar: boolean, ownProxy: boolean): DesiredDataplane {
  const input: DataplaneInput = {
    namespace: pod.namespace,
    namespaceLabels: namespaceOf(ctx, pod.namespace).labels,
    podLabels: pod.labels,
    hostNetwork: pod.hostNetwork,
    injectingRevision: decision.inject ? decision.revision : null,
    manualSidecar,
    ownProxy,
    cniExcluded: ctx.ambient.components.cniSettings.excludeNamespaces,
  };
  return cached(ctx.dataplanes, dataplaneKey(input), 50_000, () => desiredDataplane(input));
}

/** Times of injector and webhook changes, parsed once (a handful of values, read for every pod). */
const changeTimes = new Map<string, number>();
function changeTime(t: string): number {
  return cached(changeTimes, t, 1024, () => Date.parse(t));
}

export function auditPod(ctx: ClusterContext, pod: PodRecord): PodAuditDetail {
  const { workload, template } = ctx.workloads.locate(pod);
  const decision = decideCached(ctx, pod);
  const { actual, findings } = detectActual(pod, { template, reinjected: decision.inject });
  const drift: DriftCode[] = [];
  let expected: ExpectedImage | null = null;
  const manualSidecar = actual.manual && (template ?? pod).annotations[STATUS_ANNOTATION] !== undefined;
  const dataplane = dataplaneOf(ctx, pod, decision, manualSidecar, actual.mode === 'gateway');
  const ambient = dataplane.dataplane === 'ambient';
  let notCaptured: string | undefined;

  // A gateway or waypoint runs its own proxy: never drift. A pod the injector would refuse cannot be
  // restarted into anything: its workload's next pods are not created.
  if (actual.mode !== 'gateway' && !decision.refusal) {
    // Drift: what a restart of the pod's workload changes.
    if (decision.inject && !actual.viaInjector && !actual.injected) drift.push('MissingSidecar');
    if (!decision.inject && actual.injected && actual.viaInjector && !ambient) drift.push('UnexpectedSidecar');
    // Ambient: a sidecar from the injector keeps the pod out of capture until a restart drops it.
    if (ambient && actual.injected && actual.viaInjector) drift.push('SidecarInAmbient');
    else if (ambient && !actual.ambient) {
      drift.push('NotCaptured');
      notCaptured = notCapturedReason(ctx.ambient, actual);
    }
    if (decision.inject && actual.viaInjector && actual.revision !== null && actual.revision !== decision.revision) drift.push('RevisionMismatch');

    // The image: the pod's own injector, or for a proxy that never went through one (written by hand, now
    // re-injected by the webhook) the injector that renders it on the next restart.
    const imageRevision = actual.viaInjector ? actual.revision : decision.revision;
    const imageInjector = imageRevision !== null ? ctx.injectors.get(imageRevision) : undefined;
    if (decision.inject && actual.injected && imageInjector?.config) {
      const imageType = effectiveImageType(pod.namespace, pod.labels, pod.annotations, ctx.proxyConfigs, imageInjector.mesh);
      const injectorImage = expectedProxyImage(imageInjector.config, pod.annotations, imageType);
      const kept = injectorImage.pinned ? null : templateKeptImage(template);
      expected = kept ? { image: kept, how: `kept from the workload template's own istio-proxy container (istiod merges it over its template; only image "auto" is replaced)`, pinned: true } : injectorImage;
      if (!expected.pinned && expected.image !== null && actual.image !== expected.image) drift.push('ProxyImageMismatch');
      if (kept && injectorImage.image !== null && kept !== injectorImage.image) {
        findings.push({
          code: 'CustomProxyImage',
          severity: 'warning',
          message: `the workload template's own istio-proxy sets image ${kept}; the injector (${imageRevision}) is configured with ${injectorImage.image} but keeps the template's image on every restart: set image: auto (or remove the field) to follow the injector`,
        });
      }
    }
    const ownInjector = actual.viaInjector && actual.revision !== null ? ctx.injectors.get(actual.revision) : undefined;
    if (decision.inject && ownInjector) {
      // The injector or mesh ConfigMap of the pod's revision, or the webhook configuration routing the pod to it now.
      const routing = decision.injecting.find((m) => m.hook.revision === actual.revision)?.hook;
      const created = pod.creationTimestamp ? Date.parse(pod.creationTimestamp) : NaN;
      const changedAfter = (t: string | null | undefined) => Boolean(t) && changeTime(t as string) > created;
      if (!Number.isNaN(created) && (changedAfter(ownInjector.lastChange) || changedAfter(ownInjector.mesh.lastChange) || changedAfter(routing?.lastChange))) {
        drift.push('StaleTemplate');
      }
    }
  }

  findings.push(...podFindings(ctx, pod, decision, actual, ambient));
  if (dataplane.dataplane === 'ambient' || dataplane.waypoint) findings.push(...podAmbientFindings(ctx.ambient, pod.namespace, pod.labels, dataplane));
  else if (pod.hostNetwork && !findings.some((f) => f.code === 'HostNetwork') && namespaceOf(ctx, pod.namespace).labels[DATAPLANE_MODE] === 'ambient') {
    findings.push({ code: 'HostNetwork', severity: 'info', message: 'the pod uses the host network: ambient never captures it' });
  }
  return {
    namespace: pod.namespace,
    name: pod.name,
    workload,
    desired: desiredFor(decision, dataplane),
    actual: expected ? { ...actual, expectedImage: expected.image } : actual,
    drift,
    findings,
    ...(notCaptured ? { notCaptured } : {}),
    decision,
    expected,
    dataplane,
  };
}

/** The InjectionRejected finding of a refused decision. */
export function rejectionFinding(decision: Decision): Finding | null {
  const refusal = decision.refusal;
  if (!refusal) return null;
  const what = refusal.rejections
    .map((r) => (r.annotation ? `annotation ${r.annotation}=${JSON.stringify(r.value)}: ${r.message}` : r.message))
    .join('; ');
  return {
    code: 'InjectionRejected',
    severity: 'error',
    message: `istiod ${refusal.hook.revision} (${refusal.rules}, ${refusal.configMap}) refuses this pod (${refusal.rejections[0]!.rule}): ${what}. The webhook answers allowed: false, so the API server will not create the workload's next pods; a restart would stall`,
  };
}

/**
 * sidecar.istio.io/inject is neither "true" nor "false": what the istiod that decides does with it
 * (1.22-1.26: y/yes/on opt in, any other non-empty value opts out; 1.27+: unset, policy decides), and a
 * warning when an upgrade across 1.27 would flip the outcome.
 */
function invalidInjectValue(ctx: ClusterContext, decision: Decision, from: 'label' | 'annotation', value: string): Finding {
  const verdict = decision.renderer ?? decision.matched[0];
  const rules = verdict ? (verdict.injector?.rules ?? rulesFor(null)) : null;
  const shown = `${from} ${INJECT_KEY}=${JSON.stringify(value)}`;
  if (!rules) {
    return { code: 'InvalidInjectValue', severity: 'warning', message: `${shown} is neither "true" nor "false"; no webhook matches the pod, so no istiod reads it` };
  }
  const now = readInjectValue(rules, value);
  const legacy = readInjectValue({ injectValue: 'yaml-bool' }, value);
  const exact = readInjectValue({ injectValue: 'exact' }, value);
  const does = now === 'in' ? 'reads it as an explicit opt-in' : now === 'out' ? 'reads it as an explicit opt-out' : 'treats it as unset: its policy and selectors decide';
  const revision = verdict!.hook.revision;
  let upgrade = '';
  if (legacy !== exact) {
    const meaning = (r: string) => (r === 'in' ? 'opt-in' : r === 'out' ? 'opt-out' : 'unset (policy decides)');
    upgrade = rules.injectValue === 'yaml-bool'
      ? `; upgrading istiod to 1.27 or later changes this: it becomes ${meaning(exact)} (${meaning(legacy)} today)`
      : `; istiod before 1.27 read it as ${meaning(legacy)}`;
  }
  void ctx;
  return {
    code: 'InvalidInjectValue',
    severity: 'warning',
    message: `${shown} is neither "true" nor "false"; istiod ${revision} (${rules.label}) ${does}${upgrade}`,
  };
}

function podFindings(ctx: ClusterContext, pod: PodRecord, decision: Decision, actual: ActualState, ambient: boolean): Finding[] {
  const out: Finding[] = [];
  const label = pod.labels[INJECT_KEY];
  const annotation = pod.annotations[INJECT_KEY];
  const hasLabel = label !== undefined;
  const effective = hasLabel ? label : annotation;
  if (effective !== undefined && effective !== 'true' && effective !== 'false') {
    out.push(invalidInjectValue(ctx, decision, hasLabel ? 'label' : 'annotation', effective));
  }
  if (hasLabel && annotation !== undefined && label !== annotation) {
    out.push({
      code: 'LabelOverridesAnnotation',
      severity: 'warning',
      message: `label ${INJECT_KEY}=${JSON.stringify(label)} and annotation ${INJECT_KEY}=${JSON.stringify(annotation)} disagree; the label wins`,
    });
  }
  // A pod that belongs in ambient gets no sidecar: its proxy resource annotations size nothing (one that
  // still runs its sidecar keeps it until restarted, and is told so by SidecarInAmbient).
  const sizesNoProxy = ambient && !actual.injected;
  for (const [res, req, lim] of [
    ['CPU', 'sidecar.istio.io/proxyCPU', 'sidecar.istio.io/proxyCPULimit'],
    ['Memory', 'sidecar.istio.io/proxyMemory', 'sidecar.istio.io/proxyMemoryLimit'],
  ] as const) {
    if (!sizesNoProxy && pod.annotations[req] !== undefined && pod.annotations[lim] === undefined) {
      out.push({
        code: `Proxy${res}WithoutLimit`,
        severity: 'warning',
        message: `annotation ${req} is set without ${lim}: the sidecar gets a ${res === 'CPU' ? 'CPU' : 'memory'} request and no limit`,
      });
    }
  }
  const rejected = rejectionFinding(decision);
  if (rejected) out.push(rejected);
  if (actual.manual) {
    out.push({
      code: 'ManualSidecar',
      severity: 'warning',
      message: 'the istio-proxy container comes from the workload template itself (istioctl kube-inject or hand-written), not from the injector; a restart does not change it',
    });
  }
  if (pod.hostNetwork && (decision.matched.length > 0 || actual.injected)) {
    out.push({ code: 'HostNetwork', severity: 'info', message: 'the pod uses the host network: Istio never injects it' });
  }
  const configs = new Set(decision.injecting.map((m) => m.hook.configuration));
  if (configs.size > 1) {
    out.push({
      code: 'MultipleInjectors',
      severity: 'error',
      message: `more than one webhook would inject this pod: ${decision.injecting.map((m) => `${m.hook.configuration}/${m.hook.webhook} (revision ${m.hook.revision})`).join(', ')}, called in that order; each re-injects over the previous one, so revision ${decision.revision} ends up in the pod`,
    });
  }
  const podRev = pod.labels['istio.io/rev'];
  const nsLabels = ctx.namespaces.get(pod.namespace)?.labels ?? {};
  if (podRev !== undefined && nsLabels['istio-injection'] === undefined && nsLabels['istio.io/rev'] === undefined && ctx.hooks.length > 0 && !ctx.served.has(podRev)) {
    out.push({ code: 'UnknownRevision', severity: 'error', message: `pod label istio.io/rev=${podRev} names no revision or tag that any webhook serves` });
  }
  if (decision.inject && decision.matched.some((m) => m.injector?.config && !m.injector.config.parsed)) {
    out.push({ code: 'InvalidInjectorConfig', severity: 'error', message: 'the injector ConfigMap of the deciding revision does not parse; the decision assumes policy "enabled"' });
  }
  return out;
}

/** The audit as reported (contract fields only), without the decision and image detail. */
export function withoutDetail(detail: PodAuditDetail): PodAudit {
  const { decision, expected, dataplane, ...audit } = detail;
  void decision;
  void expected;
  void dataplane;
  return audit;
}

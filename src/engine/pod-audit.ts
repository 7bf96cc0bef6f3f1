// One pod: desired (decision) versus actual (what it runs), the drift codes a restart would change,
// and the findings a restart alone does not fix.
import type { ClusterContext } from './cluster-context.js';
import { decideCached, type Decision } from './decision.js';
import { INJECT_KEY } from './injector-policy.js';
import { effectiveImageType, expectedProxyImage, type ExpectedImage } from './proxy-image.js';
import { detectActual, type ActualState } from './sidecar-detection.js';
import type { WorkloadRef } from './workloads.js';
import type { Finding, PodRecord } from './types.js';

export type DriftCode = 'MissingSidecar' | 'UnexpectedSidecar' | 'RevisionMismatch' | 'ProxyImageMismatch' | 'StaleTemplate';
export const DRIFT_CODES: DriftCode[] = ['MissingSidecar', 'UnexpectedSidecar', 'RevisionMismatch', 'ProxyImageMismatch', 'StaleTemplate'];

export interface PodAudit {
  namespace: string;
  name: string;
  workload: WorkloadRef | null;
  desired: { inject: boolean; revision: string | null; reason: string; templates?: string[] };
  actual: ActualState & { expectedImage?: string | null };
  drift: DriftCode[];
  findings: Finding[];
}

export interface PodAuditDetail extends PodAudit {
  decision: Decision;
  expected: ExpectedImage | null;
}

const desiredOf = new WeakMap<Decision, PodAudit['desired']>();

/** The `desired` part of a pod audit, one object per decision (shared by the pods of a workload). */
function desiredFor(decision: Decision): PodAudit['desired'] {
  let desired = desiredOf.get(decision);
  if (!desired) {
    desired = { inject: decision.inject, revision: decision.revision, reason: decision.reason, ...(decision.inject ? { templates: decision.templates } : {}) };
    desiredOf.set(decision, desired);
  }
  return desired;
}

export function auditPod(ctx: ClusterContext, pod: PodRecord): PodAuditDetail {
  const workload = ctx.workloads.ownerOf(pod);
  const template = ctx.workloads.templateOf(pod);
  const decision = decideCached(ctx, pod);
  const { actual, findings } = detectActual(pod, { template });
  const drift: DriftCode[] = [];

  // Drift: what a restart of the pod's workload changes.
  if (decision.inject && !actual.viaInjector && !actual.injected) drift.push('MissingSidecar');
  if (!decision.inject && actual.injected && actual.viaInjector) drift.push('UnexpectedSidecar');
  if (decision.inject && actual.viaInjector && actual.revision !== null && actual.revision !== decision.revision) drift.push('RevisionMismatch');

  let expected: ExpectedImage | null = null;
  const ownInjector = actual.revision !== null ? ctx.injectors.get(actual.revision) : undefined;
  if (decision.inject && actual.viaInjector && ownInjector) {
    if (actual.injected) {
      const config = ownInjector.config;
      if (config) {
        const imageType = effectiveImageType(pod.namespace, pod.labels, pod.annotations, ctx.proxyConfigs, ownInjector.mesh);
        expected = expectedProxyImage(config, pod.annotations, imageType);
        if (!expected.pinned && expected.image !== null && actual.image !== expected.image) drift.push('ProxyImageMismatch');
      }
    }
    // The injector ConfigMap of the pod's revision, or the webhook configuration routing the pod to it now.
    const routing = decision.injecting.find((m) => m.hook.revision === actual.revision)?.hook;
    const created = pod.creationTimestamp ? Date.parse(pod.creationTimestamp) : NaN;
    const changedAfter = (t: string | null | undefined) => Boolean(t) && Date.parse(t as string) > created;
    if (!Number.isNaN(created) && (changedAfter(ownInjector.lastChange) || changedAfter(routing?.lastChange))) drift.push('StaleTemplate');
  }

  findings.push(...podFindings(ctx, pod, decision, actual));
  return {
    namespace: pod.namespace,
    name: pod.name,
    workload,
    desired: desiredFor(decision),
    actual: expected ? { ...actual, expectedImage: expected.image } : actual,
    drift,
    findings,
    decision,
    expected,
  };
}

function podFindings(ctx: ClusterContext, pod: PodRecord, decision: Decision, actual: ActualState): Finding[] {
  const out: Finding[] = [];
  const label = pod.labels[INJECT_KEY];
  const annotation = pod.annotations[INJECT_KEY];
  const hasLabel = label !== undefined;
  const effective = hasLabel ? label : annotation;
  if (effective !== undefined && effective !== 'true' && effective !== 'false') {
    out.push({
      code: 'InvalidInjectValue',
      severity: 'warning',
      message: `${hasLabel ? 'label' : 'annotation'} ${INJECT_KEY}=${JSON.stringify(effective)} is neither "true" nor "false"; the injector falls back to its policy`,
    });
  }
  if (hasLabel && annotation !== undefined && label !== annotation) {
    out.push({
      code: 'LabelOverridesAnnotation',
      severity: 'warning',
      message: `label ${INJECT_KEY}=${JSON.stringify(label)} and annotation ${INJECT_KEY}=${JSON.stringify(annotation)} disagree; the label wins`,
    });
  }
  for (const [res, req, lim] of [
    ['CPU', 'sidecar.istio.io/proxyCPU', 'sidecar.istio.io/proxyCPULimit'],
    ['Memory', 'sidecar.istio.io/proxyMemory', 'sidecar.istio.io/proxyMemoryLimit'],
  ] as const) {
    if (pod.annotations[req] !== undefined && pod.annotations[lim] === undefined) {
      out.push({
        code: `Proxy${res}WithoutLimit`,
        severity: 'warning',
        message: `annotation ${req} is set without ${lim}: the sidecar gets a ${res === 'CPU' ? 'CPU' : 'memory'} request and no limit`,
      });
    }
  }
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
  const { decision, expected, ...audit } = detail;
  void decision;
  void expected;
  return audit;
}

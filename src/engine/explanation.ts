// The InjectionExplanation of `explain`: every Istio webhook with each selector requirement's outcome,
// the injector's checks in Istio's order, the verdict, the pod's actual state, drift and remedies.
import { namespaceOf, type ClusterContext } from './cluster-context.js';
import { decide, injectorConfigOf, type Decision } from './decision.js';
import { templatesFor, type InjectorConfig } from './injector-config.js';
import { injectorRefusals } from './injection-rejection.js';
import { injectRequired, type PolicyStep } from './injector-policy.js';
import { formatVersion } from './istiod-version.js';
import { auditNamespace } from './namespace-audit.js';
import { auditPod, dataplaneOf, withoutDetail, type PodAudit } from './pod-audit.js';
import { componentFindings } from './ambient-findings.js';
import { DATAPLANE_MODE, type DataplaneStep, type DesiredDataplane } from './dataplane.js';
import { isOwnProxyGateway, STATUS_ANNOTATION } from './sidecar-detection.js';
import type { ComponentStatus } from './ambient-components.js';
import type { WaypointRef } from './waypoints.js';
import { evaluateWebhook, namespaceSelectorLabels, type SelectorEvaluation } from './webhook-matching.js';
import type { Finding, PodRecord, WorkloadKind } from './types.js';
import type { WorkloadRef } from './workloads.js';

export interface ExplainTarget {
  kind: 'Pod' | WorkloadKind;
  namespace: string;
  name: string;
}

export interface WebhookExplanation {
  configuration: string;
  webhook: string;
  revision: string;
  tag: string | null;
  deactivated: boolean;
  interceptsPodCreate: boolean;
  matched: boolean;
  namespaceSelector: SelectorEvaluation;
  objectSelector: SelectorEvaluation;
}

export interface InjectionExplanation {
  kind: 'InjectionExplanation';
  apiVersion: 'inject.istio-tools.dev/v1alpha1';
  target: ExplainTarget;
  workload: WorkloadRef | null;
  namespace: { name: string; labels: Record<string, string> };
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  webhooks: WebhookExplanation[];
  injector: {
    configMap: string;
    revision: string;
    policy: string;
    inject: boolean;
    steps: PolicyStep[];
    /** The istiod version ("1.26.2"), null when unknown; where it was read; the rules applied. */
    version: string | null;
    versionSource: string;
    rules: string;
    /** Whether this istiod would accept the pod (validateAnnotations, templates); null when it does not inject. */
    admission: { accepted: boolean; checks: string[] } | null;
  } | null;
  /** Other matching webhooks' injector verdicts, when more than one matched. */
  otherInjectors: { configMap: string; revision: string; inject: boolean; rule: string }[];
  decision: { inject: boolean; revision: string | null; reason: string; templates?: string[] };
  actual: PodAudit['actual'] | null;
  expectedImage: { image: string | null; how: string } | null;
  drift: string[];
  findings: Finding[];
  remedies: string[];
  /** For a workload: the audit of each of its current pods. */
  pods?: PodAudit[];
  /** The data plane: sidecar, ambient or none, with the ambient checks in Istio's order. */
  dataplane: DataplaneExplanation;
}

export interface DataplaneExplanation {
  desired: DesiredDataplane['dataplane'];
  revision: string | null;
  reason: string;
  steps: DataplaneStep[];
  waypoint: (WaypointRef & { problem: string | null }) | null;
  ztunnel: ComponentStatus | null;
  cni: ComponentStatus | null;
  /** With the NotCaptured drift: why the pod is not captured. */
  notCaptured?: string;
  /** Whether ambient concerns this object at all (an ambient label, desire or capture): the text shows the steps only then. */
  relevant: boolean;
}

function dataplaneExplanation(ctx: ClusterContext, dp: DesiredDataplane, namespace: string, podLabels: Record<string, string>, captured: boolean, notCaptured?: string): DataplaneExplanation {
  const ns = namespaceOf(ctx, namespace);
  const relevant = dp.dataplane === 'ambient' || captured || ns.labels[DATAPLANE_MODE] !== undefined || podLabels[DATAPLANE_MODE] !== undefined;
  return {
    desired: dp.dataplane,
    revision: dp.revision,
    reason: dp.reason,
    steps: dp.steps,
    waypoint: dp.waypoint ? { ...dp.waypoint, problem: ctx.ambient.waypoints.problem(dp.waypoint) } : null,
    ztunnel: ctx.ambient.components.ztunnel,
    cni: ctx.ambient.components.cni,
    ...(notCaptured ? { notCaptured } : {}),
    relevant,
  };
}

/** NoZtunnel / NoIstioCNI for an object that should be in ambient. */
function ambientClusterFindings(ctx: ClusterContext, dp: DesiredDataplane): Finding[] {
  return dp.dataplane === 'ambient' ? componentFindings(ctx.ambient, 'the pod should be in ambient') : [];
}

function webhookExplanations(ctx: ClusterContext, namespace: string, podLabels: Record<string, string>): WebhookExplanation[] {
  const ns = namespaceOf(ctx, namespace);
  const nsLabels = namespaceSelectorLabels(ns.name, ns.labels);
  return ctx.hooks.map((hook) => {
    const ev = evaluateWebhook(hook, nsLabels, podLabels);
    return {
      configuration: hook.configuration,
      webhook: hook.webhook,
      revision: hook.revision,
      tag: hook.tag,
      deactivated: hook.deactivated,
      interceptsPodCreate: hook.interceptsPodCreate,
      matched: ev.matched,
      namespaceSelector: ev.namespaceSelector,
      objectSelector: ev.objectSelector,
    };
  });
}

function versionFields(ctx: ClusterContext, revision: string, config: InjectorConfig): { version: string | null; versionSource: string; rules: string } {
  const injector = ctx.injectors.get(revision);
  const version = injector?.version ?? config.version;
  return {
    version: version ? formatVersion(version) : null,
    versionSource: version ? version.source : ['no version found', ...config.versionNotes].join('; '),
    rules: config.rules.label,
  };
}

/** The admission checks of RunTemplate, for an injector that would inject the pod. */
function admission(config: InjectorConfig, pod: PodRecord): { accepted: boolean; checks: string[]; steps: PolicyStep[] } {
  const refusals = injectorRefusals(config, pod.annotations);
  const validated = [...config.rules.validatedAnnotations].filter((a) => pod.annotations[a] !== undefined);
  const templates = templatesFor(config, pod.annotations);
  if (refusals.length === 0) {
    const checks = [
      `validateAnnotations: ${validated.length ? `${validated.join(', ')} valid` : 'no validated annotation set'}`,
      config.parsed ? `templates: ${templates.map((t) => JSON.stringify(t)).join(', ')} found` : 'templates: unknown (the ConfigMap did not load)',
    ];
    return { accepted: true, checks, steps: [] };
  }
  const steps = refusals.map((r, i) => ({
    check: r.rule === 'validateAnnotations' ? 'validateAnnotations' : 'templates',
    result: `${r.annotation ? `annotation ${r.annotation}=${JSON.stringify(r.value)}: ` : ''}${r.message}: the webhook refuses the pod (allowed: false)`,
    decisive: i === 0,
  }));
  return { accepted: false, checks: steps.map((s) => `${s.check}: ${s.result}`), steps };
}

function injectorSection(ctx: ClusterContext, decision: Decision, pod: PodRecord): Pick<InjectionExplanation, 'injector' | 'otherInjectors'> {
  const deciding = decision.injecting[decision.injecting.length - 1] ?? decision.matched[0];
  if (!deciding) {
    // No webhook matched, so istiod is never asked; still show what the default revision would say.
    const hook = ctx.hooks.find((h) => h.revision === 'default') ?? ctx.hooks[0];
    if (!hook) return { injector: null, otherInjectors: [] };
    const config = injectorConfigOf(ctx.injectors.get(hook.revision), hook);
    const policy = injectRequired(config, pod);
    return {
      injector: {
        configMap: config.configMap,
        revision: hook.revision,
        policy: config.policy,
        inject: false,
        steps: [{ check: 'webhook', result: 'no webhook matched: the API server never asks istiod (checks below are for reference only)', decisive: true }, ...policy.steps.map((s) => ({ ...s, decisive: false }))],
        ...versionFields(ctx, hook.revision, config),
        admission: null,
      },
      otherInjectors: [],
    };
  }
  const config = injectorConfigOf(deciding.injector, deciding.hook);
  const checked = deciding.policy.inject ? admission(config, pod) : null;
  const steps = checked && !checked.accepted ? [...deciding.policy.steps.map((s) => ({ ...s, decisive: false })), ...checked.steps] : deciding.policy.steps;
  return {
    injector: {
      configMap: config.configMap,
      revision: deciding.hook.revision,
      policy: config.policy,
      inject: deciding.policy.inject,
      steps,
      ...versionFields(ctx, deciding.hook.revision, config),
      admission: checked ? { accepted: checked.accepted, checks: checked.checks } : null,
    },
    otherInjectors: decision.matched
      .filter((m) => m !== deciding)
      .map((m) => ({ configMap: injectorConfigOf(m.injector, m.hook).configMap, revision: m.hook.revision, inject: m.policy.inject, rule: m.policy.rule })),
  };
}

const RESTARTABLE: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Commands that fix each drift and finding. */
export function remediesFor(
  ctx: ClusterContext,
  target: ExplainTarget,
  workload: WorkloadRef | null,
  drift: string[],
  findings: Finding[],
  podLabels: Record<string, string>,
): string[] {
  const out: string[] = [];
  const ns = target.namespace;
  // NotCaptured alone is not fixed by a restart (the CNI agent captures running pods).
  if (drift.some((d) => d !== 'NotCaptured')) {
    if (workload && RESTARTABLE.has(workload.kind)) {
      out.push(`kubectl rollout restart ${workload.kind.toLowerCase()}/${workload.name} -n ${ns}`);
    } else if (workload) {
      out.push(`# ${workload.kind}/${workload.name} is not restarted by rollout: re-create its pods (e.g. delete and re-run the ${workload.kind.toLowerCase()}) in namespace ${ns}`);
    } else if (target.kind === 'Pod') {
      out.push(`# bare pod: re-create it from its manifest: kubectl get pod ${target.name} -n ${ns} -o yaml > pod.yaml && kubectl delete pod ${target.name} -n ${ns} && kubectl apply -f pod.yaml`);
    } else if (RESTARTABLE.has(target.kind)) {
      out.push(`kubectl rollout restart ${target.kind.toLowerCase()}/${target.name} -n ${ns}`);
    }
  }
  const nsLabels = namespaceOf(ctx, ns).labels;
  const knownRevision = [...new Set(ctx.served.values())][0] ?? 'default';
  const templateOwner = workload && target.kind === 'Pod' ? `${workload.kind.toLowerCase()}/${workload.name}` : target.kind !== 'Pod' ? `${target.kind.toLowerCase()}/${target.name}` : `pod/${target.name}`;
  for (const f of findings) {
    switch (f.code) {
      case 'ConflictingLabels':
        if (nsLabels['istio-injection'] !== undefined && nsLabels['istio.io/rev'] !== undefined) {
          out.push(`kubectl label namespace ${ns} istio.io/rev-   # or: kubectl label namespace ${ns} istio-injection- (to let istio.io/rev decide)`);
        } else out.push(`kubectl label namespace ${ns} istio.io/dataplane-mode-   # keep one injection mode per namespace`);
        break;
      case 'UnknownRevision':
        if (nsLabels['istio.io/rev'] !== undefined && !ctx.served.has(nsLabels['istio.io/rev'])) {
          out.push(`kubectl label namespace ${ns} istio.io/rev=${knownRevision} --overwrite   # revisions and tags served: ${[...ctx.served.keys()].sort().join(', ')}`);
        } else if (podLabels['istio.io/rev'] !== undefined) {
          out.push(`# set the pod template label istio.io/rev of ${templateOwner} to a served revision or tag: ${[...ctx.served.keys()].sort().join(', ')}`);
        }
        break;
      case 'InvalidInjectValue':
        out.push(`# set sidecar.istio.io/inject on ${templateOwner} to exactly "true" or "false" (or remove it to follow the policy): istiod 1.27+ reads other values differently from older ones`);
        break;
      case 'InjectionRejected':
        out.push(`# fix or remove the annotation named above on the pod template of ${templateOwner} (or add the missing template to the injector ConfigMap) before restarting it: until then its new pods are refused`);
        break;
      case 'CustomProxyImage':
        out.push(`# set image: auto on the istio-proxy container of ${templateOwner} (or drop the field), then restart it`);
        break;
      case 'LabelOverridesAnnotation':
        out.push(`# remove the sidecar.istio.io/inject annotation from ${templateOwner}: only the label counts`);
        break;
      case 'ProxyCPUWithoutLimit':
        out.push(`# add annotation sidecar.istio.io/proxyCPULimit to the pod template of ${templateOwner}`);
        break;
      case 'ProxyMemoryWithoutLimit':
        out.push(`# add annotation sidecar.istio.io/proxyMemoryLimit to the pod template of ${templateOwner}`);
        break;
      case 'ManualSidecar':
        out.push(`# remove the istio-proxy container from ${templateOwner} (re-apply the manifest without istioctl kube-inject) and label the namespace for injection, or keep it as it is on purpose`);
        break;
      case 'MultipleInjectors':
        out.push('# keep one webhook per revision selector: `istioctl tag list` / `istioctl tag remove TAG`, or delete the redundant MutatingWebhookConfiguration');
        break;
      case 'NoInjector':
        out.push('# install istiod (istioctl install / helm install istiod) so a sidecar injection webhook exists');
        break;
      case 'NoZtunnel':
        out.push('# install or repair ztunnel (istioctl install --set profile=ambient, or helm install ztunnel istio/ztunnel -n istio-system) so ambient pods are captured');
        break;
      case 'NoIstioCNI':
        out.push('# install or repair the istio-cni node agent with ambient enabled (helm install istio-cni istio/cni -n istio-system --set profile=ambient)');
        break;
      case 'WaypointMissing':
        out.push(`# create the waypoint the label names (istioctl waypoint apply -n NAMESPACE --name NAME), or fix or remove the istio.io/use-waypoint label`);
        break;
      case 'L7PolicyNeedsWaypoint':
        out.push(`# deploy a waypoint for ${ns} (istioctl waypoint apply -n ${ns} --enroll-namespace) and move the named AuthorizationPolicy from selector to targetRefs on it`);
        break;
      default:
        break;
    }
  }
  return [...new Set(out)];
}

/** Explains one existing pod. */
export function explainPod(ctx: ClusterContext, pod: PodRecord): InjectionExplanation {
  const audit = auditPod(ctx, pod);
  const target: ExplainTarget = { kind: 'Pod', namespace: pod.namespace, name: pod.name };
  const ns = namespaceOf(ctx, pod.namespace);
  return {
    kind: 'InjectionExplanation',
    apiVersion: 'inject.istio-tools.dev/v1alpha1',
    target,
    workload: audit.workload,
    namespace: { name: ns.name, labels: ns.labels },
    podLabels: pod.labels,
    podAnnotations: pod.annotations,
    webhooks: webhookExplanations(ctx, pod.namespace, pod.labels),
    ...injectorSection(ctx, audit.decision, pod),
    decision: audit.desired,
    actual: audit.actual,
    expectedImage: audit.expected ? { image: audit.expected.image, how: audit.expected.how } : null,
    drift: audit.drift,
    findings: [...audit.findings, ...ambientClusterFindings(ctx, audit.dataplane)],
    remedies: remediesFor(ctx, target, audit.workload, audit.drift, [...namespaceFindings(ctx, pod.namespace), ...audit.findings, ...ambientClusterFindings(ctx, audit.dataplane)], pod.labels),
    dataplane: dataplaneExplanation(ctx, audit.dataplane, pod.namespace, pod.labels, audit.actual.ambient || audit.actual.ambientPending === true, audit.notCaptured),
  };
}

/** Explains a pod template (a workload, or a manifest not applied yet) and, for a workload, its pods. */
export function explainTemplate(ctx: ClusterContext, target: ExplainTarget, template: PodRecord, pods: PodRecord[] = []): InjectionExplanation {
  const decision = decide(ctx, template);
  const ns = namespaceOf(ctx, target.namespace);
  const podAudits = [...pods].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((p) => auditPod(ctx, p));
  const drift = [...new Set(podAudits.flatMap((p) => p.drift))];
  // Findings about the template itself: audit it as if it were a pod that went through nothing.
  const templateAudit = auditPod(ctx, { ...template, name: target.name, owner: null });
  const findings = templateAudit.findings.filter((f) => f.code !== 'ManualSidecar');
  // A proxy in the template is manual only when no webhook re-injects it (gateways and waypoints run their own).
  if (templateAudit.actual.injected && target.kind !== 'Pod' && !decision.inject && templateAudit.actual.mode !== 'gateway') {
    findings.push({ code: 'ManualSidecar', severity: 'warning', message: `the pod template of ${target.kind.toLowerCase()}/${target.name} already contains istio-proxy (istioctl kube-inject or hand-written) and no webhook re-injects it` });
  }
  const workload: WorkloadRef | null = target.kind === 'Pod' ? null : { kind: target.kind, name: target.name };
  const dp = dataplaneOf(ctx, template, decision, !decision.inject && template.annotations[STATUS_ANNOTATION] !== undefined, isOwnProxyGateway(template));
  findings.push(...ambientClusterFindings(ctx, dp));
  return {
    kind: 'InjectionExplanation',
    apiVersion: 'inject.istio-tools.dev/v1alpha1',
    target,
    workload,
    namespace: { name: ns.name, labels: ns.labels },
    podLabels: template.labels,
    podAnnotations: template.annotations,
    webhooks: webhookExplanations(ctx, target.namespace, template.labels),
    ...injectorSection(ctx, decision, template),
    decision: { inject: decision.inject, revision: decision.revision, reason: decision.reason, ...(decision.inject ? { templates: decision.templates } : {}) },
    actual: null,
    expectedImage: null,
    drift,
    findings,
    remedies: remediesFor(ctx, target, workload, drift, [...namespaceFindings(ctx, target.namespace), ...findings], template.labels),
    pods: podAudits.map(withoutDetail),
    dataplane: dataplaneExplanation(ctx, dp, target.namespace, template.labels, podAudits.some((p) => p.actual.ambient)),
  };
}

function namespaceFindings(ctx: ClusterContext, namespace: string): Finding[] {
  return auditNamespace(ctx, namespace).findings;
}

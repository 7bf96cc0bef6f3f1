// Everything about the cluster that does not depend on the pod, prepared once per audit:
// injection webhooks (selectors compiled), injector and mesh configuration per revision,
// ProxyConfigs, namespaces and workloads indexed.
import {
  injectorConfigMapName,
  meshConfigMapName,
  parseInjectorConfig,
  parseMeshConfig,
  setVersion,
  type InjectorConfig,
  type MeshConfig,
} from './injector-config.js';
import { INJECT_KEY } from './injector-policy.js';
import { istiodVersion, type IstiodVersion } from './istiod-version.js';
import { rulesFor, type RuleSet } from './version-rules.js';
import type { CompiledSelector } from './label-selector.js';
import { collectInjectionWebhooks, servedRevisions, type InjectionWebhook } from './webhook-matching.js';
import { WorkloadIndex } from './workloads.js';
import type { ClusterState, ConfigMapRecord, Finding, NamespaceRecord, ProxyConfigRecord, WorkloadRecord } from './types.js';
import type { Decision } from './decision.js';
import { ambientComponents } from './ambient-components.js';
import { buildAmbientContext, type AmbientContext } from './ambient-findings.js';
import type { DesiredDataplane } from './dataplane.js';

export interface Injector {
  revision: string;
  istioNamespace: string;
  configMapName: string;
  /** null when the ConfigMap is not in the cluster. */
  config: InjectorConfig | null;
  mesh: MeshConfig;
  /** Webhook configurations serving this revision (revision tags included). */
  configurations: string[];
  tags: string[];
  /** Last change of the injector ConfigMap. */
  lastChange: string | null;
  /** The istiod version (null = unknown) and the rules it applies (the newest when unknown). */
  version: IstiodVersion | null;
  rules: RuleSet;
  /** The webhooks call an istiod outside this cluster (clientConfig.url) and its ConfigMap is not here. */
  remote: boolean;
}

export interface ClusterContext {
  hooks: InjectionWebhook[];
  /** Keyed by revision. */
  injectors: Map<string, Injector>;
  /** istio.io/rev values some webhook selects on -> revision. */
  served: Map<string, string>;
  namespaces: Map<string, NamespaceRecord>;
  workloads: WorkloadIndex;
  proxyConfigs: ProxyConfigRecord[];
  /** Findings about cluster-level objects (webhooks, ConfigMaps). */
  findings: Finding[];
  /**
   * The pod label keys a decision can depend on: those some webhook objectSelector or injector
   * selector names, and the ones the injector reads itself. Other labels (app, pod-template-hash...)
   * cannot change a decision.
   */
  decisionLabelKeys: string[];
  /** Decisions by pod shape (namespace, the labels and annotations the decision reads, hostNetwork). */
  decisions: Map<string, Decision>;
  /** Ambient: ztunnel and istio-cni, waypoints, use-waypoint Services, policies ztunnel cannot enforce. */
  ambient: AmbientContext;
  /** Desired data planes by pod shape (dataplane.ts dataplaneKey). */
  dataplanes: Map<string, DesiredDataplane>;
}

export function buildClusterContext(state: ClusterState): ClusterContext {
  const hooks = collectInjectionWebhooks(state.webhookConfigurations);
  const configMaps = new Map<string, ConfigMapRecord>();
  for (const cm of state.configMaps) configMaps.set(`${cm.namespace}/${cm.name}`, cm);
  const findings: Finding[] = [];
  for (const h of hooks) findings.push(...h.findings);

  const injectors = new Map<string, Injector>();
  for (const h of hooks) {
    let inj = injectors.get(h.revision);
    if (!inj) {
      const configMapName = injectorConfigMapName(h.revision);
      const cm = configMaps.get(`${h.istioNamespace}/${configMapName}`);
      const config = cm ? parseInjectorConfig(cm, h.revision) : null;
      const mesh = parseMeshConfig(configMaps.get(`${h.istioNamespace}/${meshConfigMapName(h.revision)}`) ?? configMaps.get(`${h.istioNamespace}/istio`));
      const istiod = istiodDeployment(state.workloads, h.istioNamespace, h.revision);
      let version = config?.version ?? null;
      if (!version && istiod) {
        const minimum = config && config.templates.size > 0 ? { major: 1, minor: 9 } : null;
        version = istiodVersion({ configMap: `${h.istioNamespace}/${configMapName}`, tag: '', labels: {}, istiodImage: istiod, minimum, notes: config?.versionNotes });
        if (config) setVersion(config, version);
      }
      const remote = !cm && hooks.some((x) => x.revision === h.revision && x.url !== null);
      inj = {
        revision: h.revision,
        istioNamespace: h.istioNamespace,
        configMapName,
        config,
        mesh,
        configurations: [],
        tags: [],
        lastChange: cm?.lastChange ?? null,
        version,
        rules: config?.rules ?? rulesFor(version),
        remote,
      };
      injectors.set(h.revision, inj);
      if (config) findings.push(...config.findings);
      else if (remote) {
        findings.push({
          code: 'RemoteInjector',
          severity: 'info',
          object: `mutatingwebhookconfiguration/${h.configuration}`,
          message: `revision ${h.revision} is served by an istiod outside this cluster (${h.url}); its ConfigMap ${h.istioNamespace}/${configMapName} is not here, so decisions assume the chart defaults (policy "enabled", no selectors): add the config cluster's ConfigMap to a snapshot to use it`,
        });
      } else {
        findings.push({
          code: 'MissingInjectorConfig',
          severity: 'error',
          object: `configmap/${h.istioNamespace}/${configMapName}`,
          message: `revision ${h.revision} has no injector ConfigMap ${h.istioNamespace}/${configMapName}; decisions assume policy "enabled"`,
        });
      }
      findings.push(...mesh.findings);
    }
    if (!inj.configurations.includes(h.configuration)) inj.configurations.push(h.configuration);
    if (h.tag && !inj.tags.includes(h.tag)) inj.tags.push(h.tag);
  }

  const namespaces = new Map<string, NamespaceRecord>();
  for (const ns of state.namespaces) namespaces.set(ns.name, ns);

  return {
    hooks,
    injectors,
    served: servedRevisions(hooks),
    namespaces,
    workloads: new WorkloadIndex(state.workloads),
    proxyConfigs: state.proxyConfigs,
    findings,
    decisionLabelKeys: decisionLabelKeys(hooks, injectors),
    decisions: new Map(),
    ambient: buildAmbientContext(ambientComponents(state.workloads, state.configMaps), state.services ?? [], state.gateways ?? [], state.authorizationPolicies ?? []),
    dataplanes: new Map(),
  };
}

/** The istiod Deployment of a revision (istiod, or istiod-REV), when the state has it: its discovery image. */
function istiodDeployment(workloads: WorkloadRecord[], namespace: string, revision: string): { image: string; deployment: string } | null {
  const name = revision === 'default' ? 'istiod' : `istiod-${revision}`;
  const d = workloads.find((w) => w.kind === 'Deployment' && w.namespace === namespace && w.name === name);
  const container = d?.template.containers.find((c) => c.name === 'discovery') ?? d?.template.containers[0];
  return d && container?.image ? { image: container.image, deployment: `deployment/${namespace}/${name}` } : null;
}

/** See ClusterContext.decisionLabelKeys. */
function decisionLabelKeys(hooks: InjectionWebhook[], injectors: Map<string, Injector>): string[] {
  const keys = new Set<string>([INJECT_KEY, 'istio.io/rev']);
  const add = (selector: CompiledSelector) => {
    if (selector.valid) for (const r of selector.requirements) keys.add(r.key);
  };
  for (const h of hooks) add(h.objectSelector);
  for (const inj of injectors.values()) {
    for (const s of inj.config?.neverInjectSelector ?? []) add(s.compiled);
    for (const s of inj.config?.alwaysInjectSelector ?? []) add(s.compiled);
  }
  return [...keys].sort();
}

/** The namespace record, or a bare one (the API server always sets kubernetes.io/metadata.name). */
export function namespaceOf(ctx: ClusterContext, name: string): NamespaceRecord {
  return ctx.namespaces.get(name) ?? { name, labels: {} };
}

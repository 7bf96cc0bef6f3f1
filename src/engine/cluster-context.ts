// Everything about the cluster that does not depend on the pod, prepared once per audit:
// injection webhooks (selectors compiled), injector and mesh configuration per revision,
// ProxyConfigs, namespaces and workloads indexed.
import {
  injectorConfigMapName,
  meshConfigMapName,
  parseInjectorConfig,
  parseMeshConfig,
  type InjectorConfig,
  type MeshConfig,
} from './injector-config.js';
import { INJECT_KEY } from './injector-policy.js';
import type { CompiledSelector } from './label-selector.js';
import { collectInjectionWebhooks, servedRevisions, type InjectionWebhook } from './webhook-matching.js';
import { WorkloadIndex } from './workloads.js';
import type { ClusterState, ConfigMapRecord, Finding, NamespaceRecord, ProxyConfigRecord } from './types.js';
import type { Decision } from './decision.js';

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
      inj = {
        revision: h.revision,
        istioNamespace: h.istioNamespace,
        configMapName,
        config,
        mesh,
        configurations: [],
        tags: [],
        lastChange: cm?.lastChange ?? null,
      };
      injectors.set(h.revision, inj);
      if (config) findings.push(...config.findings);
      else {
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
  };
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

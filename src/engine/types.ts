// Plain records the decision engine works on. They are built from raw Kubernetes objects by
// src/cluster/records.ts and hold only what the engine needs (a compact pod is a few hundred bytes).

export type Labels = Record<string, string>;

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[] | null;
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}

export interface Finding {
  code: string;
  message: string;
  severity: 'error' | 'warning' | 'info';
  /** The object the finding is about, when it is not the pod or namespace it is attached to. */
  object?: string;
}

export interface NamespaceRecord {
  name: string;
  labels: Labels;
}

export interface ContainerRecord {
  name: string;
  image: string | null;
  restartPolicy?: string | null;
  /** istio-proxy only, and only when not a sidecar: the role in its args `proxy router|waypoint`. */
  proxyRole?: string;
}

export interface OwnerRef {
  kind: string;
  name: string;
}

export interface PodRecord {
  namespace: string;
  name: string;
  labels: Labels;
  /** Only the annotations the engine reads (Istio's, and the restart marker). */
  annotations: Labels;
  creationTimestamp: string | null;
  hostNetwork: boolean;
  containers: ContainerRecord[];
  initContainers: ContainerRecord[];
  /** The controlling owner reference, if any. */
  owner: OwnerRef | null;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob';

/** Rollout progress fields of a workload (DaemonSet counts mapped onto the replica names). */
export interface RolloutStatus {
  generation: number;
  observedGeneration: number;
  /** spec.replicas (DaemonSet: desiredNumberScheduled). */
  desired: number;
  /** status.replicas, old and new pods together (DaemonSet: currentNumberScheduled). */
  current: number;
  updated: number;
  ready: number;
  available: number;
  paused: boolean;
  /** Deployment condition Progressing=False with reason ProgressDeadlineExceeded. */
  progressDeadlineExceeded: boolean;
  /** StatefulSet currentRevision / updateRevision. */
  currentRevision?: string | null;
  updateRevision?: string | null;
  /** spec.updateStrategy.type (StatefulSet, DaemonSet) or spec.strategy.type (Deployment). */
  strategy?: string | null;
  /** StatefulSet spec.updateStrategy.rollingUpdate.partition. */
  partition?: number | null;
}

export interface WorkloadRecord {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  labels: Labels;
  owner: OwnerRef | null;
  /** The pod template as a pod record (name '', namespace of the workload). */
  template: PodRecord;
  /** spec.selector (null for CronJobs and objects without one). */
  selector: LabelSelector | null;
  status: RolloutStatus;
}

export interface RuleRecord {
  operations: string[];
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  scope?: string | null;
}

export interface WebhookRecord {
  name: string;
  rules: RuleRecord[];
  namespaceSelector: LabelSelector | null;
  objectSelector: LabelSelector | null;
  service: { namespace: string; name: string; path?: string | null; port?: number | null } | null;
  url: string | null;
  /** Never (default) or IfNeeded. */
  reinvocationPolicy?: string | null;
}

export interface WebhookConfigurationRecord {
  name: string;
  labels: Labels;
  /** Last change: newest managedFields time, else creationTimestamp. */
  lastChange: string | null;
  webhooks: WebhookRecord[];
}

export interface ConfigMapRecord {
  namespace: string;
  name: string;
  labels: Labels;
  data: Record<string, string>;
  lastChange: string | null;
}

export interface ProxyConfigRecord {
  namespace: string;
  name: string;
  /**
   * spec.selector.matchLabels; null when there is no spec.selector at all (namespace-wide). A selector
   * without labels (`selector: {}`) is {} and selects nothing.
   */
  selector: Labels | null;
  /** spec.image.imageType; undefined when the resource sets no image at all. */
  imageType: string | undefined;
  /** At each level Istio uses the oldest ProxyConfig. */
  creationTimestamp?: string | null;
}

/** A Service: only its labels matter (istio.io/use-waypoint, istio.io/use-waypoint-namespace). */
export interface ServiceRecord {
  namespace: string;
  name: string;
  labels: Labels;
}

/** A Gateway (gateway.networking.k8s.io): waypoints are the ones of gatewayClassName istio-waypoint. */
export interface GatewayRecord {
  namespace: string;
  name: string;
  gatewayClassName: string;
  labels: Labels;
}

/** One rule of an AuthorizationPolicy: the names of the fields it sets (non-empty), per part. */
export interface AuthorizationRuleRecord {
  /** Per `to` entry: the operation fields set (hosts, methods, paths, ports, ...). */
  to: string[][];
  /** Per `from` entry: the source fields set (principals, requestPrincipals, namespaces, ipBlocks, ...). */
  from: string[][];
  /** The `when` condition keys (request.headers[x], source.ip, ...). */
  when: string[];
}

/** An AuthorizationPolicy (security.istio.io), reduced to what decides whether ztunnel can enforce it. */
export interface AuthorizationPolicyRecord {
  namespace: string;
  name: string;
  /** spec.selector.matchLabels; null without spec.selector (namespace-wide, or mesh-wide in the root namespace). */
  selector: Labels | null;
  /** spec.targetRef or spec.targetRefs set: the policy is for a waypoint or gateway, never for ztunnel. */
  targeted: boolean;
  /** ALLOW (default), DENY, AUDIT or CUSTOM. */
  action: string;
  rules: AuthorizationRuleRecord[];
}

/** Everything the engine needs about a cluster. */
export interface ClusterState {
  namespaces: NamespaceRecord[];
  pods: PodRecord[];
  webhookConfigurations: WebhookConfigurationRecord[];
  configMaps: ConfigMapRecord[];
  proxyConfigs: ProxyConfigRecord[];
  workloads: WorkloadRecord[];
  /** Ambient: Services (their use-waypoint labels), Gateways (waypoints), AuthorizationPolicies. Absent = none known. */
  services?: ServiceRecord[];
  gateways?: GatewayRecord[];
  authorizationPolicies?: AuthorizationPolicyRecord[];
}

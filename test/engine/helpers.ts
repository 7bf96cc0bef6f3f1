// Small builders shared by the engine tests. Fixtures come from test/fixtures/istio (copies of Istio's data).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { configMapRecord, webhookConfigurationRecord, workloadRecord, type RawObject } from '../../src/cluster/records.js';
import { parseSnapshotText } from '../../src/cluster/snapshot-source.js';
import { buildClusterContext, type ClusterContext } from '../../src/engine/cluster-context.js';
import type {
  ClusterState,
  ConfigMapRecord,
  ContainerRecord,
  Labels,
  NamespaceRecord,
  PodRecord,
  ProxyConfigRecord,
  WebhookConfigurationRecord,
  WorkloadRecord,
} from '../../src/engine/types.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'istio');

export function fixtureText(relative: string): string {
  return readFileSync(join(FIXTURES, relative), 'utf8');
}

/** Raw objects of a fixture file, read the way `--snapshot` reads files. */
export function fixtureObjects(relative: string): RawObject[] {
  return parseSnapshotText(fixtureText(relative), relative);
}

/** The rendered webhook configurations of test/fixtures/istio/webhooks (see its README). */
export const WEBHOOK_FILES = {
  a: 'webhooks/a-default-revision.yaml',
  b: 'webhooks/b-default-revision-enableNamespacesByDefault.yaml',
  c: 'webhooks/c-revision-canary.yaml',
  d: 'webhooks/d-tag-prod-to-canary.yaml',
  e: 'webhooks/e-tag-default-to-canary.yaml',
} as const;
export type WebhookKey = keyof typeof WEBHOOK_FILES;

export function rawWebhook(key: WebhookKey): RawObject {
  const objects = fixtureObjects(WEBHOOK_FILES[key]).filter((o) => o.kind === 'MutatingWebhookConfiguration');
  if (objects.length !== 1) throw new Error(`${WEBHOOK_FILES[key]}: expected one MutatingWebhookConfiguration`);
  return objects[0] as RawObject;
}

export function webhookConfig(key: WebhookKey, lastChange: string | null = null): WebhookConfigurationRecord {
  return { ...webhookConfigurationRecord(rawWebhook(key)), lastChange };
}

/** What `istioctl tag set default` does to the old default MWC (istioctl/pkg/util/common.go NeverMatch). */
export function deactivate(raw: RawObject): RawObject {
  const neverMatch = { matchLabels: { 'istio.io/deactivated': 'never-match' } };
  const copy = structuredClone(raw);
  for (const w of copy.webhooks as RawObject[]) {
    w.namespaceSelector = neverMatch;
    w.objectSelector = neverMatch;
  }
  return copy;
}

export function deactivatedWebhookConfig(key: WebhookKey): WebhookConfigurationRecord {
  return { ...webhookConfigurationRecord(deactivate(rawWebhook(key))), lastChange: null };
}

/** The ConfigMaps of a fixture file, as records. */
export function fixtureConfigMaps(relative: string): ConfigMapRecord[] {
  return fixtureObjects(relative)
    .filter((o) => o.kind === 'ConfigMap')
    .map((o) => configMapRecord(o));
}

export function fixtureConfigMap(relative: string, name: string): ConfigMapRecord {
  const cm = fixtureConfigMaps(relative).find((c) => c.name === name);
  if (!cm) throw new Error(`${relative}: no ConfigMap ${name}`);
  return cm;
}

export const GOLDEN = 'injector/istiod-default-golden.yaml';

export function ns(name: string, labels: Labels = {}): NamespaceRecord {
  return { name, labels };
}

export const PROXY_IMAGE = 'docker.io/istio/proxyv2:1.28.0';

export function classicProxy(image: string | null = PROXY_IMAGE): ContainerRecord {
  return { name: 'istio-proxy', image };
}

export function nativeProxy(image: string | null = PROXY_IMAGE): ContainerRecord {
  return { name: 'istio-proxy', image, restartPolicy: 'Always' };
}

export const APP: ContainerRecord = { name: 'app', image: 'example.com/app:1.0' };
export const ISTIO_INIT: ContainerRecord = { name: 'istio-init', image: PROXY_IMAGE };

/** sidecar.istio.io/status as the injector of the given generation writes it. */
export function statusAnnotation(opts: { revision?: string; native?: boolean; version?: string } = {}): string {
  const status: Record<string, unknown> = {};
  if (opts.version !== undefined) status.version = opts.version;
  status.initContainers = opts.native ? ['istio-init', 'istio-proxy'] : ['istio-init'];
  status.containers = opts.native ? null : ['istio-proxy'];
  status.volumes = ['istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'];
  status.imagePullSecrets = null;
  if (opts.revision !== undefined) status.revision = opts.revision;
  return JSON.stringify(status);
}

export function pod(overrides: Partial<PodRecord> = {}): PodRecord {
  return {
    namespace: 'demo',
    name: 'web-7d9c5b8f6-abcde',
    labels: {},
    annotations: {},
    creationTimestamp: '2024-06-01T00:00:00Z',
    hostNetwork: false,
    containers: [APP],
    initContainers: [],
    owner: null,
    ...overrides,
  };
}

/** A pod as the injector of `revision` leaves it (classic sidecar unless native). */
export function injectedPod(
  revision: string,
  overrides: Partial<PodRecord> = {},
  opts: { image?: string; native?: boolean } = {},
): PodRecord {
  const image = opts.image ?? PROXY_IMAGE;
  const base = pod(overrides);
  return {
    ...base,
    annotations: {
      'istio.io/rev': revision,
      'sidecar.istio.io/status': statusAnnotation({ revision, native: opts.native }),
      ...base.annotations,
    },
    containers: opts.native ? base.containers : [...base.containers, classicProxy(image)],
    initContainers: opts.native ? [ISTIO_INIT, nativeProxy(image), ...base.initContainers] : [ISTIO_INIT, ...base.initContainers],
  };
}

export interface InjectorValues {
  hub?: string;
  tag?: string | number;
  variant?: string;
  proxyImage?: string;
  revision?: string;
  enableNamespacesByDefault?: boolean;
  cni?: boolean;
}

export function valuesJson(v: InjectorValues = {}): string {
  return JSON.stringify({
    global: {
      hub: v.hub ?? 'docker.io/istio',
      tag: v.tag ?? '1.28.0',
      variant: v.variant ?? '',
      proxy: { image: v.proxyImage ?? 'proxyv2', autoInject: 'enabled' },
      proxy_init: { image: 'proxyv2' },
    },
    revision: v.revision ?? '',
    sidecarInjectorWebhook: { enableNamespacesByDefault: v.enableNamespacesByDefault ?? false },
    pilot: { cni: { enabled: v.cni ?? false } },
  });
}

export interface InjectorConfigOptions {
  revision?: string;
  namespace?: string;
  /** Raw `config` text, or an object dumped as YAML. Default: policy enabled with a sidecar template. */
  config?: string | Record<string, unknown>;
  /** Raw `values` text, or chart values. */
  values?: string | InjectorValues;
  lastChange?: string | null;
  omitValues?: boolean;
}

export const SIDECAR_TEMPLATE = 'containers:\n- name: istio-proxy\n  image: "{{ .ProxyImage }}"\n';

export function injectorConfigMap(opts: InjectorConfigOptions = {}): ConfigMapRecord {
  const revision = opts.revision ?? '';
  const name = revision === '' || revision === 'default' ? 'istio-sidecar-injector' : `istio-sidecar-injector-${revision}`;
  const config =
    typeof opts.config === 'string'
      ? opts.config
      : yaml.dump({
          policy: 'enabled',
          alwaysInjectSelector: [],
          neverInjectSelector: [],
          defaultTemplates: ['sidecar'],
          templates: { sidecar: SIDECAR_TEMPLATE, 'grpc-simple': 'initContainers:\n- name: grpc-bootstrap-init\n' },
          ...(opts.config ?? {}),
        });
  const data: Record<string, string> = { config };
  if (!opts.omitValues) {
    data.values = typeof opts.values === 'string' ? opts.values : valuesJson({ revision: revision === 'default' ? '' : revision, ...(opts.values ?? {}) });
  }
  return { namespace: opts.namespace ?? 'istio-system', name, labels: {}, data, lastChange: opts.lastChange ?? null };
}

export function meshConfigMap(mesh: string, name = 'istio', namespace = 'istio-system'): ConfigMapRecord {
  return { namespace, name, labels: {}, data: { mesh }, lastChange: null };
}

export function proxyConfig(namespace: string, name: string, selector: Labels | null, imageType: string | undefined): ProxyConfigRecord {
  return { namespace, name, selector, imageType };
}

export function workload(kind: WorkloadRecord['kind'], name: string, template: Partial<PodRecord> = {}, namespace = 'demo', owner: WorkloadRecord['owner'] = null): WorkloadRecord {
  // Start from what records.ts builds (status and any other fields the engine's audits do not read).
  const base = workloadRecord({ kind, metadata: { name, namespace }, spec: {} });
  return { ...base, kind, namespace, name, labels: {}, owner, template: pod({ name: '', namespace, creationTimestamp: null, ...template }) };
}

export function state(partial: Partial<ClusterState> = {}): ClusterState {
  return { namespaces: [], pods: [], webhookConfigurations: [], configMaps: [], proxyConfigs: [], workloads: [], ...partial };
}

export function context(partial: Partial<ClusterState> = {}): ClusterContext {
  return buildClusterContext(state(partial));
}

/** Codes of a finding list, sorted, for compact assertions. */
export function codes(findings: { code: string }[]): string[] {
  return findings.map((f) => f.code).sort();
}

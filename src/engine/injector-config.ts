// The injector ConfigMap of a revision (istio-sidecar-injector[-REV]): `data.config` (YAML, Istio's
// inject.Config) and `data.values` (JSON, the chart values), and the mesh ConfigMap (istio[-REV]).
// Parsing never throws: malformed content becomes a finding on the ConfigMap.
import yaml from 'js-yaml';
import { istiodVersion, type IstiodVersion } from './istiod-version.js';
import { compileSelector, type CompiledSelector } from './label-selector.js';
import { rulesFor, type RuleSet } from './version-rules.js';
import type { ConfigMapRecord, Finding, LabelSelector } from './types.js';

export interface InjectorSelector {
  source: LabelSelector;
  compiled: CompiledSelector;
}

export interface InjectorConfig {
  revision: string;
  configMap: string; // namespace/name
  /** Raw policy string; only "enabled" and "disabled" are legal. */
  policy: string;
  alwaysInjectSelector: InjectorSelector[];
  neverInjectSelector: InjectorSelector[];
  injectedAnnotations: Record<string, string>;
  defaultTemplates: string[];
  /** Template name -> does the template add an istio-proxy container? (`templates:` only.) */
  templates: Map<string, boolean>;
  aliases: Record<string, string[]>;
  /** Old (pre-1.10) installs have a single `template:`: null, or whether it adds a proxy. Only istiod < 1.10 renders it. */
  legacyTemplate: boolean | null;
  hub: string;
  tag: string;
  variant: string;
  proxyImage: string; // global.proxy.image, default proxyv2
  enableNamespacesByDefault: boolean;
  cni: boolean;
  lastChange: string | null;
  /** The istiod version (null = unknown) and the rules it applies. */
  version: IstiodVersion | null;
  rules: RuleSet;
  /** Version readings that were not used, and why. */
  versionNotes: string[];
  /** False when `config` did not parse: decisions then assume Istio's defaults and say so. */
  parsed: boolean;
  findings: Finding[];
}

export interface MeshConfig {
  /** defaultConfig.image.imageType; undefined when the mesh config sets no image. */
  imageType: string | undefined;
  rootNamespace: string;
  /** namespace/name of the mesh ConfigMap, null when there is none. */
  configMap: string | null;
  lastChange: string | null;
  findings: Finding[];
}

export function injectorConfigMapName(revision: string): string {
  return revision === '' || revision === 'default' ? 'istio-sidecar-injector' : `istio-sidecar-injector-${revision}`;
}

export function meshConfigMapName(revision: string): string {
  return revision === '' || revision === 'default' ? 'istio' : `istio-${revision}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function templateAddsProxy(text: unknown): boolean {
  return typeof text === 'string' && /istio-proxy/.test(text);
}

/** Parses an injector ConfigMap. */
export function parseInjectorConfig(cm: ConfigMapRecord, revision: string): InjectorConfig {
  const ref = `${cm.namespace}/${cm.name}`;
  const findings: Finding[] = [];
  const bad = (message: string) =>
    findings.push({ code: 'InvalidInjectorConfig', severity: 'error', object: `configmap/${ref}`, message: `ConfigMap ${ref}: ${message}` });
  const result: InjectorConfig = {
    revision,
    configMap: ref,
    policy: '',
    alwaysInjectSelector: [],
    neverInjectSelector: [],
    injectedAnnotations: {},
    defaultTemplates: ['sidecar'],
    templates: new Map(),
    aliases: {},
    legacyTemplate: null,
    hub: '',
    tag: '',
    variant: '',
    proxyImage: 'proxyv2',
    enableNamespacesByDefault: false,
    cni: false,
    lastChange: cm.lastChange,
    version: null,
    rules: rulesFor(null),
    versionNotes: [],
    parsed: true,
    findings,
  };

  const configText = cm.data?.config;
  let config: Record<string, unknown> | null = null;
  if (typeof configText !== 'string') {
    bad('has no data.config; istiod cannot load it (assuming policy "enabled")');
  } else {
    try {
      const loaded = yaml.load(configText) ?? {};
      if (!isObject(loaded)) throw new Error('data.config is not a YAML map');
      config = loaded;
    } catch (err) {
      bad(`data.config does not parse: ${firstLine(err)} (assuming policy "enabled")`);
    }
  }
  if (config) {
    const typeError = applyConfig(result, config);
    if (typeError) {
      config = null;
      bad(`data.config does not unmarshal: ${typeError} (assuming policy "enabled")`);
    }
  }
  if (!config) {
    // istiod keeps its last good configuration; the default chart policy is the best guess.
    result.parsed = false;
    result.policy = 'enabled';
    result.alwaysInjectSelector = [];
    result.neverInjectSelector = [];
  } else if (result.policy !== 'enabled' && result.policy !== 'disabled') {
    findings.push({
      code: 'IllegalInjectionPolicy',
      severity: 'error',
      object: `configmap/${ref}`,
      message: `ConfigMap ${ref}: policy ${JSON.stringify(result.policy)} is neither "enabled" nor "disabled"; istiod disables injection for every pod`,
    });
  }

  const valuesText = cm.data?.values;
  if (typeof valuesText === 'string' && valuesText.trim() !== '') {
    try {
      const values = JSON.parse(valuesText) as unknown;
      if (!isObject(values)) throw new Error('not a JSON object');
      applyValues(result, values);
    } catch (err) {
      bad(`data.values is not valid JSON: ${firstLine(err)}; the expected proxy image is unknown`);
    }
  }
  const notes: string[] = [];
  // `templates:` exists since istiod 1.9.
  const minimum = result.templates.size > 0 ? { major: 1, minor: 9 } : null;
  setVersion(result, istiodVersion({ configMap: ref, tag: result.tag, labels: cm.labels, minimum, notes }));
  result.versionNotes = notes;
  return result;
}

/** Records the istiod version and the rules that follow from it. */
export function setVersion(config: InjectorConfig, version: IstiodVersion | null): void {
  config.version = version;
  config.rules = rulesFor(version);
}

function applyConfig(out: InjectorConfig, config: Record<string, unknown>): string | null {
  if (config.policy !== undefined && config.policy !== null) {
    if (typeof config.policy !== 'string') return 'policy is not a string';
    out.policy = config.policy;
  }
  for (const key of ['alwaysInjectSelector', 'neverInjectSelector'] as const) {
    const raw = config[key];
    if (raw === undefined || raw === null) continue;
    if (!Array.isArray(raw)) return `${key} is not a list`;
    const list: InjectorSelector[] = [];
    for (const entry of raw) {
      if (entry !== null && !isObject(entry)) return `${key} has an entry that is not a label selector`;
      const source = (entry ?? {}) as LabelSelector;
      const compiled = compileSelector(source);
      if (!compiled.valid) {
        out.findings.push({
          code: 'InvalidSelector',
          severity: 'warning',
          object: `configmap/${out.configMap}`,
          message: `ConfigMap ${out.configMap}: ${key} entry is invalid (${compiled.error}); istiod skips it`,
        });
      }
      list.push({ source, compiled });
    }
    out[key] = list;
  }
  if (isObject(config.injectedAnnotations)) {
    out.injectedAnnotations = Object.fromEntries(
      Object.entries(config.injectedAnnotations).map(([k, v]) => [k, String(v)]),
    );
  }
  if (config.defaultTemplates !== undefined && config.defaultTemplates !== null) {
    if (!Array.isArray(config.defaultTemplates)) return 'defaultTemplates is not a list';
    if (config.defaultTemplates.length > 0) out.defaultTemplates = config.defaultTemplates.map(String);
  }
  if (isObject(config.templates)) {
    for (const [name, text] of Object.entries(config.templates)) out.templates.set(name, templateAddsProxy(text));
  }
  if (typeof config.template === 'string' && !config.template.includes('Template_Version_And_Istio_Version_Mismatched')) {
    // Pre-1.10 installs: one template, rendered as "sidecar" by istiod < 1.10 only.
    out.legacyTemplate = templateAddsProxy(config.template);
  }
  if (isObject(config.aliases)) {
    for (const [name, list] of Object.entries(config.aliases)) {
      if (Array.isArray(list)) out.aliases[name] = list.map(String);
    }
  }
  return null;
}

function applyValues(out: InjectorConfig, values: Record<string, unknown>): void {
  const global = isObject(values.global) ? values.global : {};
  const proxy = isObject(global.proxy) ? global.proxy : {};
  out.hub = typeof global.hub === 'string' ? global.hub : '';
  out.tag = global.tag === undefined || global.tag === null ? '' : String(global.tag);
  out.variant = typeof global.variant === 'string' ? global.variant : '';
  out.proxyImage = typeof proxy.image === 'string' && proxy.image !== '' ? proxy.image : 'proxyv2';
  const webhook = isObject(values.sidecarInjectorWebhook) ? values.sidecarInjectorWebhook : {};
  out.enableNamespacesByDefault = webhook.enableNamespacesByDefault === true;
  const pilot = isObject(values.pilot) ? values.pilot : {};
  const pilotCni = isObject(pilot.cni) ? pilot.cni : {};
  const legacyCni = isObject(values.istio_cni) ? values.istio_cni : {};
  out.cni = pilotCni.enabled === true || legacyCni.enabled === true;
}

/** The mesh ConfigMap `istio[-REV]`: `data.mesh` YAML. */
export function parseMeshConfig(cm: ConfigMapRecord | undefined): MeshConfig {
  const result: MeshConfig = { imageType: undefined, rootNamespace: 'istio-system', configMap: null, lastChange: null, findings: [] };
  if (!cm) return result;
  result.configMap = `${cm.namespace}/${cm.name}`;
  result.lastChange = cm.lastChange;
  const text = cm.data?.mesh;
  if (typeof text !== 'string') return result;
  try {
    const mesh = yaml.load(text);
    if (!isObject(mesh)) return result;
    if (typeof mesh.rootNamespace === 'string' && mesh.rootNamespace) result.rootNamespace = mesh.rootNamespace;
    const dc = isObject(mesh.defaultConfig) ? mesh.defaultConfig : {};
    if (isObject(dc.image)) result.imageType = typeof dc.image.imageType === 'string' ? dc.image.imageType : '';
  } catch (err) {
    result.findings.push({
      code: 'InvalidMeshConfig',
      severity: 'warning',
      object: `configmap/${cm.namespace}/${cm.name}`,
      message: `ConfigMap ${cm.namespace}/${cm.name}: data.mesh does not parse: ${firstLine(err)}`,
    });
  }
  return result;
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim();
}

export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';

/**
 * Templates the injector renders for a pod (selectTemplates): annotation inject.istio.io/templates, when
 * present at all, split on commas and trimmed (an empty value or an empty entry names the template ""),
 * else defaultTemplates; aliases expanded.
 */
export function templatesFor(config: InjectorConfig, annotations: Record<string, string>): string[] {
  const requested = annotations[TEMPLATES_ANNOTATION];
  const names = requested !== undefined ? requested.split(',').map((s) => s.trim()) : config.defaultTemplates;
  return names.flatMap((n) => config.aliases[n] ?? [n]);
}

/** The templates this istiod can render: `templates:`, or for istiod < 1.10 the legacy `template:` as "sidecar". */
export function renderableTemplates(config: InjectorConfig): Map<string, boolean> {
  if (config.rules.legacyTemplate && config.legacyTemplate !== null && !config.templates.has('sidecar')) {
    return new Map([...config.templates, ['sidecar', config.legacyTemplate]]);
  }
  return config.templates;
}

/** Whether the given templates add a proxy container; unknown templates are assumed to (null = unknown). */
export function templatesAddProxy(config: InjectorConfig, templates: string[]): boolean | null {
  const known = renderableTemplates(config);
  let unknown = false;
  for (const t of templates) {
    const adds = known.get(t);
    if (adds === true) return true;
    if (adds === undefined) unknown = true;
  }
  return unknown ? null : false;
}

/** What decisions assume when a revision's injector ConfigMap is missing: the chart defaults. */
export function assumedInjectorConfig(configMap: string, revision: string): InjectorConfig {
  const config = parseInjectorConfig({ namespace: '', name: '', labels: {}, data: { config: 'policy: enabled' }, lastChange: null }, revision);
  return { ...config, configMap, parsed: false, findings: [] };
}

// Snapshots: a `kind: List` (what `kubectl get ... -o yaml` prints), multi-document YAML or JSON, a
// directory of such files, or `-` for stdin.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseSelector, SelectorSyntaxError } from '../engine/selector-syntax.js';
import { selectorMatches } from '../engine/label-selector.js';
import type { ClusterState, PodRecord, WorkloadKind, WorkloadRecord } from '../engine/types.js';
import { addObject, emptyState, type RawObject } from './records.js';
import { isAmbientComponent } from '../engine/ambient-components.js';
import { ROOT_NAMESPACE } from '../engine/authorization-policy.js';
import { UserError, type BaseState, type ClusterSource, type Scope, type SourceInfo } from './source.js';

const SNAPSHOT_EXTENSIONS = /\.(ya?ml|json)$/i;

/** Flattens List objects (kind: List, PodList, ...) into their items; list items may lack `kind`. */
export function flattenObjects(doc: unknown, into: RawObject[]): void {
  if (doc === null || doc === undefined) return;
  if (Array.isArray(doc)) {
    for (const d of doc) flattenObjects(d, into);
    return;
  }
  if (typeof doc !== 'object') return;
  const obj = doc as RawObject;
  if (Array.isArray(obj.items) && (typeof obj.kind !== 'string' || obj.kind.endsWith('List'))) {
    const itemKind = typeof obj.kind === 'string' && obj.kind !== 'List' ? obj.kind.slice(0, -4) : undefined;
    for (const item of obj.items) {
      if (item && typeof item === 'object' && !item.kind && itemKind) item.kind = itemKind;
      flattenObjects(item, into);
    }
    return;
  }
  into.push(obj);
}

export function parseSnapshotText(text: string, name: string): RawObject[] {
  const objects: RawObject[] = [];
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        flattenObjects(JSON.parse(text), objects);
        return objects;
      } catch {
        // Not one JSON document (e.g. several concatenated): fall back to the YAML reader.
      }
    }
    for (const doc of yaml.loadAll(text)) flattenObjects(doc, objects);
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UserError(`snapshot ${name}: not valid YAML or JSON: ${message}`);
  }
  return objects;
}

function readPath(path: string, out: RawObject[]): void {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new UserError(`snapshot ${path}: no such file or directory`);
  }
  if (stats.isDirectory()) {
    const entries = readdirSync(path).sort();
    for (const entry of entries) {
      const full = join(path, entry);
      if (statSync(full).isDirectory() || SNAPSHOT_EXTENSIONS.test(entry)) readPath(full, out);
    }
    return;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`snapshot ${path}: cannot read: ${(err as Error).message}`);
  }
  out.push(...parseSnapshotText(text, path));
}

/** Reads raw objects from a path or '-' (stdin). */
export function readSnapshotObjects(path: string): RawObject[] {
  const objects: RawObject[] = [];
  if (path === '-') {
    let text = '';
    try {
      text = readFileSync(0, 'utf8');
    } catch (err) {
      throw new UserError(`snapshot -: cannot read standard input: ${(err as Error).message}`);
    }
    objects.push(...parseSnapshotText(text, '<stdin>'));
  } else readPath(path, objects);
  return objects;
}

export function stateFromObjects(objects: RawObject[], name: string): ClusterState {
  const state = emptyState();
  let used = 0;
  for (const obj of objects) {
    if (typeof obj.kind !== 'string') continue;
    if (addObject(state, obj)) used++;
  }
  if (objects.length === 0) throw new UserError(`snapshot ${name}: contains no Kubernetes objects`);
  if (used === 0) {
    throw new UserError(`snapshot ${name}: none of its ${objects.length} objects is a kind kubectl-inject reads (Namespace, Pod, MutatingWebhookConfiguration, ConfigMap, ...)`);
  }
  return state;
}

function compileScopeSelector(scope: Scope) {
  if (!scope.labelSelector) return null;
  try {
    return parseSelector(scope.labelSelector);
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw new UserError(`invalid selector "${scope.labelSelector}": ${err.message}`, 2);
    throw err;
  }
}

export class SnapshotSource implements ClusterSource {
  constructor(
    private readonly state: ClusterState,
    private readonly sourceInfo: SourceInfo,
  ) {}

  static fromPath(path: string): SnapshotSource {
    return SnapshotSource.fromPaths([path]);
  }

  /** Several snapshots read as one state (e.g. a remote cluster plus its config cluster's injector ConfigMap). */
  static fromPaths(paths: string[]): SnapshotSource {
    const objects = paths.flatMap((p) => readSnapshotObjects(p));
    const name = paths.map((p) => (p === '-' ? '<stdin>' : p)).join(', ');
    return new SnapshotSource(stateFromObjects(objects, name), { type: 'snapshot', location: paths.join(',') });
  }

  info(): SourceInfo {
    return this.sourceInfo;
  }

  withInfo(info: SourceInfo): SnapshotSource {
    return new SnapshotSource(this.state, info);
  }

  defaultNamespace(): string {
    return 'default';
  }

  async loadBase(scope: Scope): Promise<BaseState> {
    const inScope = <T extends { namespace: string }>(list: T[]) => (scope.namespace ? list.filter((x) => x.namespace === scope.namespace) : list);
    // Namespaces that only appear through their pods still count.
    const names = new Set(this.state.namespaces.map((n) => n.name));
    const namespaces = [...this.state.namespaces];
    for (const p of this.state.pods) {
      if (!names.has(p.namespace)) {
        names.add(p.namespace);
        namespaces.push({ name: p.namespace, labels: {} });
      }
    }
    return {
      namespaces: scope.namespace ? namespaces.filter((n) => n.name === scope.namespace) : namespaces,
      webhookConfigurations: this.state.webhookConfigurations,
      configMaps: this.state.configMaps,
      proxyConfigs: this.state.proxyConfigs,
      // The istiod Deployments stay whatever the scope: their image tells an injector's version.
      // So do ztunnel and istio-cni: whether ambient pods can be captured.
      workloads: scope.namespace
        ? this.state.workloads.filter((w) => w.namespace === scope.namespace || (w.kind === 'Deployment' && /^istiod(-|$)/.test(w.name)) || isAmbientComponent(w))
        : this.state.workloads,
      // Waypoints may live in another namespace (istio.io/use-waypoint-namespace), root-namespace policies apply mesh-wide.
      services: inScope(this.state.services ?? []),
      gateways: this.state.gateways ?? [],
      authorizationPolicies: scope.namespace ? (this.state.authorizationPolicies ?? []).filter((p) => p.namespace === scope.namespace || p.namespace === ROOT_NAMESPACE) : (this.state.authorizationPolicies ?? []),
      partial: false,
      warnings: [],
    };
  }

  async *pods(scope: Scope, onProgress?: (count: number) => void): AsyncIterable<PodRecord[]> {
    const selector = compileScopeSelector(scope);
    const pods = this.state.pods.filter(
      (p) => (!scope.namespace || p.namespace === scope.namespace) && (!selector || selectorMatches(selector, p.labels)),
    );
    onProgress?.(pods.length);
    yield pods;
  }

  async getPod(namespace: string, name: string): Promise<PodRecord | null> {
    return this.state.pods.find((p) => p.namespace === namespace && p.name === name) ?? null;
  }

  async getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<WorkloadRecord | null> {
    return this.state.workloads.find((w) => w.kind === kind && w.namespace === namespace && w.name === name) ?? null;
  }
}

// The three PATCH flavours kubectl and client libraries send: JSON merge patch (RFC 7386), strategic
// merge patch (Kubernetes' own: lists of known fields merged by key, $patch directives) and JSON patch
// (RFC 6902). All functions return a new value and leave their inputs alone.
import { isDeepStrictEqual } from 'node:util';
import type { RawObject } from './types.js';

/** A patch that cannot be applied (test failed, path missing, bad directive): a 422 for the client. */
export class PatchError extends Error {}

export type PatchType = 'merge' | 'strategic' | 'json';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};

const isMap = (value: unknown): value is RawObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export function applyPatch(type: PatchType, target: RawObject, patch: unknown): RawObject {
  switch (type) {
    case 'merge':
      return mergePatch(target, patch) as RawObject;
    case 'strategic':
      if (!isMap(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
      return strategicMerge(target, patch);
    case 'json':
      return jsonPatch(target, patch);
  }
}

// ---- RFC 7386 ----

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const result: RawObject = isMap(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

// ---- Strategic merge patch ----

/** patchMergeKey of list fields in the types served (by field name: unambiguous within them). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  resourceClaims: 'name',
  webhooks: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ownerReferences: 'uid',
  conditions: 'type',
};
/** Lists of scalars with patchStrategy "merge": patches add to them instead of replacing them. */
const MERGED_SCALAR_LISTS = new Set(['finalizers']);

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

export function strategicMerge(target: RawObject, patch: RawObject): RawObject {
  if (patch.$patch === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return {};
  if (patch.$patch !== undefined) throw new PatchError(`unknown patch directive ${JSON.stringify(patch.$patch)}`);

  const result = structuredClone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$retainKeys' || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM)) continue;
    if (value === null) delete result[key];
    else if (isMap(value) && value.$patch === 'delete') delete result[key];
    else if (isMap(value)) result[key] = strategicMerge(isMap(result[key]) ? result[key] : {}, value);
    else if (Array.isArray(value)) result[key] = mergeList(key, result[key], value);
    else result[key] = value;
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) result[field] = (result[field] as unknown[]).filter((v) => !value.includes(v));
    } else if (key.startsWith(SET_ORDER)) {
      const field = key.slice(SET_ORDER.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) result[field] = reorder(field, result[field] as unknown[], value);
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const key of Object.keys(result)) if (!patch.$retainKeys.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const existing = Array.isArray(current) ? current : [];
  if (MERGED_SCALAR_LISTS.has(field)) return [...existing, ...patch.filter((v) => !existing.includes(v))];
  const mergeKey = MERGE_KEYS[field];
  if (!mergeKey || !patch.every(isMap)) return structuredClone(patch);
  const items = patch as RawObject[];
  if (items.some((item) => item.$patch === 'replace')) return structuredClone(items.filter((item) => item.$patch !== 'replace'));
  const result = structuredClone(existing) as unknown[];
  for (const item of items) {
    const index = result.findIndex((r) => isMap(r) && isDeepStrictEqual(r[mergeKey], item[mergeKey]));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = strategicMerge(result[index] as RawObject, item);
    else result.push(strategicMerge({}, item));
  }
  return result;
}

/** $setElementOrder: listed elements first, in the given order; the rest keep their relative order. */
function reorder(field: string, list: unknown[], order: unknown[]): unknown[] {
  const mergeKey = MERGE_KEYS[field];
  const identity = (item: unknown): unknown => (mergeKey && isMap(item) ? item[mergeKey] : item);
  const rank = (item: unknown): number => {
    const index = order.findIndex((o) => isDeepStrictEqual(identity(o), identity(item)));
    return index < 0 ? order.length : index;
  };
  return list.map((item, index) => ({ item, index })).sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index).map((x) => x.item);
}

// ---- RFC 6902 ----

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container holding the pointer's last segment, and that segment. */
function locate(root: unknown, pointer: string): { parent: RawObject | unknown[]; key: string } {
  const parts = parsePointer(pointer);
  const key = parts.pop();
  if (key === undefined) throw new PatchError('the whole document cannot be the target of this operation');
  let node: unknown = root;
  for (const part of parts) {
    node = Array.isArray(node) ? node[Number(part)] : isMap(node) ? node[part] : undefined;
    if (node === undefined) throw new PatchError(`path ${pointer} does not exist`);
  }
  if (!isMap(node) && !Array.isArray(node)) throw new PatchError(`path ${pointer} does not exist`);
  return { parent: node, key };
}

function arrayIndex(list: unknown[], key: string, forInsert: boolean): number {
  if (forInsert && key === '-') return list.length;
  const index = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : NaN;
  if (!(index <= (forInsert ? list.length : list.length - 1))) throw new PatchError(`array index ${key} is out of range`);
  return index;
}

function read(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  const { parent, key } = locate(root, pointer);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, key, false)] : parent[key];
  if (value === undefined) throw new PatchError(`path ${pointer} does not exist`);
  return value;
}

function remove(root: unknown, pointer: string): void {
  const { parent, key } = locate(root, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false), 1);
  else if (key in parent) delete parent[key];
  else throw new PatchError(`path ${pointer} does not exist`);
}

function add(root: unknown, pointer: string, value: unknown): void {
  const { parent, key } = locate(root, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, structuredClone(value));
  else parent[key] = structuredClone(value);
}

export function jsonPatch(target: RawObject, operations: unknown): RawObject {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be an array of operations');
  const doc: { root: unknown } = { root: structuredClone(target) };
  const rooted = (pointer: string) => `/root${pointer}`;
  for (const raw of operations as Operation[]) {
    if (!isMap(raw) || typeof raw.path !== 'string') throw new PatchError(`invalid operation ${JSON.stringify(raw)}`);
    const path = rooted(raw.path);
    switch (raw.op) {
      case 'add':
        add(doc, path, raw.value);
        break;
      case 'remove':
        remove(doc, path);
        break;
      case 'replace':
        read(doc, path);
        remove(doc, path);
        add(doc, path, raw.value);
        break;
      case 'test':
        if (!isDeepStrictEqual(read(doc, path), raw.value)) throw new PatchError(`test failed at ${raw.path}`);
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw new PatchError(`${raw.op} needs "from"`);
        const value = structuredClone(read(doc, rooted(raw.from)));
        if (raw.op === 'move') remove(doc, rooted(raw.from));
        add(doc, path, value);
        break;
      }
      default:
        throw new PatchError(`unsupported JSON patch operation ${JSON.stringify(raw.op)}`);
    }
  }
  if (!isMap(doc.root)) throw new PatchError('the patched document is not an object');
  return doc.root;
}

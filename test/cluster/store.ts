// The object store: objects keyed by type, namespace and name, a global resourceVersion counter,
// and a bounded history of changes that watches replay. Objects are copied on the way in and out.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { groupVersion, typeForKind, type ResourceType } from './resources.js';
import { encodeObject, type EncodedObject } from './serialize.js';
import { resourceVersionTooOld } from './status.js';
import type { RawObject } from './types.js';

export interface StoredEntry {
  readonly type: ResourceType;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  /** Sort key: `namespace/name`, or the name of a cluster-scoped object (etcd's order). */
  readonly key: string;
  readonly resourceVersion: number;
  /** The stored object. Shared: read it, never change it or hand it out. */
  readonly object: RawObject;
  readonly encoded: EncodedObject;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  readonly type: ChangeType;
  /** The new state; for DELETED the last state, stamped with the deletion's resourceVersion. */
  readonly entry: StoredEntry;
  /** The state before a MODIFIED change. */
  readonly previous?: StoredEntry;
}

/** What `onWrite` listeners get: copies, safe to keep and change. */
export interface WriteEvent {
  type: ChangeType;
  kind: string;
  namespace: string;
  name: string;
  resourceVersion: string;
  object: RawObject;
}

export interface WriteOptions {
  /** The field manager recorded in managedFields; omitted = leave managedFields as given. */
  manager?: string;
  /** Compute the result without storing it (dryRun=All). */
  dryRun?: boolean;
}

const DEFAULT_HISTORY = 10_000;

/** RFC 3339 without fractions, as Kubernetes timestamps are written. */
export const timestamp = (date = new Date()): string => date.toISOString().replace(/\.\d+Z$/, 'Z');

/** Everything but metadata and status: what metadata.generation tracks. */
function specOf(object: RawObject): RawObject {
  const { metadata: _metadata, status: _status, kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  return rest;
}

export class ObjectStore {
  private readonly objects = new Map<ResourceType, Map<string, StoredEntry>>();
  private readonly sorted = new Map<ResourceType, StoredEntry[]>();
  private readonly history: Change[] = [];
  private readonly listeners = new Set<(change: Change) => void>();
  /** Changes not yet told to listeners: writes made by a listener wait for the current round. */
  private readonly undelivered: Change[] = [];
  private delivering = false;
  private currentRevision = 1;
  /** Changes at or before this revision are gone: older watches and continue tokens get 410. */
  private compactedRevision = 1;

  constructor(private readonly maxHistory = DEFAULT_HISTORY) {}

  get revision(): number {
    return this.currentRevision;
  }

  get oldestRevision(): number {
    return this.compactedRevision;
  }

  // ---- Helpers for tests and tools (objects in, copies out) ----

  /** Loads objects as pre-existing state (no history); returns the kinds it skipped as unsupported. */
  load(objects: readonly RawObject[]): string[] {
    const skipped: string[] = [];
    for (const object of objects) {
      if (typeof object.kind === 'string' && typeForKind(object.kind)) this.put(object);
      else skipped.push(String(object.kind));
    }
    this.compact();
    return skipped;
  }

  get(kind: string, namespace: string | undefined, name: string): RawObject | undefined {
    const entry = this.find(this.typeOf(kind), namespace ?? '', name);
    return entry && (JSON.parse(entry.encoded.json) as RawObject);
  }

  /** All objects of a kind, optionally in one namespace, in namespace/name order. */
  list(kind: string, namespace?: string): RawObject[] {
    return this.entries(this.typeOf(kind), namespace).map((e) => JSON.parse(e.encoded.json) as RawObject);
  }

  /** Creates or replaces an object without API checks; returns the stored copy. */
  put(object: RawObject, options: WriteOptions = {}): RawObject {
    const type = this.typeOf(String(object.kind));
    const copy = structuredClone(object);
    copy.metadata ??= {};
    if (typeof copy.metadata.name !== 'string' || copy.metadata.name === '') throw new Error(`a ${type.kind} without metadata.name`);
    if (type.namespaced) copy.metadata.namespace ??= 'default';
    else delete copy.metadata.namespace;
    const previous = this.find(type, copy.metadata.namespace ?? '', String(copy.metadata.name));
    const entry = previous ? this.replace(copy, previous, options) : this.create(copy, options, false);
    return JSON.parse(entry.encoded.json) as RawObject;
  }

  remove(kind: string, namespace: string | undefined, name: string): boolean {
    const entry = this.find(this.typeOf(kind), namespace ?? '', name);
    if (entry) this.delete(entry);
    return entry !== undefined;
  }

  /** Calls `listener` after every write (the hook for controllers); returns an unsubscribe function. */
  onWrite(listener: (event: WriteEvent) => void): () => void {
    return this.subscribe(({ type, entry }) =>
      listener({
        type,
        kind: entry.type.kind,
        namespace: entry.namespace,
        name: entry.name,
        resourceVersion: String(entry.resourceVersion),
        object: JSON.parse(entry.encoded.json) as RawObject,
      }),
    );
  }

  /** Forgets the change history: watches and continue tokens from before now get 410 Expired. */
  compact(): void {
    this.history.length = 0;
    this.compactedRevision = this.currentRevision;
  }

  // ---- What the API handlers use ----

  find(type: ResourceType, namespace: string, name: string): StoredEntry | undefined {
    return this.objects.get(type)?.get(type.namespaced ? `${namespace}/${name}` : name);
  }

  /** Entries of a type in key order, optionally only one namespace's. The array is shared: don't change it. */
  entries(type: ResourceType, namespace?: string): readonly StoredEntry[] {
    let all = this.sorted.get(type);
    if (!all) {
      all = [...(this.objects.get(type)?.values() ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      this.sorted.set(type, all);
    }
    return namespace === undefined || !type.namespaced ? all : all.filter((e) => e.namespace === namespace);
  }

  /**
   * Stores a new object (the caller checked it does not exist). API creates (`fresh`) get a new uid and
   * creationTimestamp; loaded objects keep theirs.
   */
  create(object: RawObject, options: WriteOptions, fresh = true): StoredEntry {
    const type = this.typeOf(String(object.kind));
    const meta = object.metadata as RawObject;
    if (fresh || !meta.uid) meta.uid = randomUUID();
    if (fresh || !meta.creationTimestamp) meta.creationTimestamp = timestamp();
    if (type.tracksGeneration && (fresh || !meta.generation)) meta.generation = 1;
    return this.write('ADDED', type, object, options);
  }

  /** Stores a new state of an existing object, keeping identity fields and bumping generation. */
  replace(object: RawObject, previous: StoredEntry, options: WriteOptions): StoredEntry {
    const meta = object.metadata as RawObject;
    const old = previous.object.metadata as RawObject;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (previous.type.tracksGeneration) {
      const changed = !isDeepStrictEqual(specOf(object), specOf(previous.object));
      meta.generation = (Number(old.generation) || 1) + (changed ? 1 : 0);
    }
    return this.write('MODIFIED', previous.type, object, options);
  }

  /** Deletes an object; deleting a namespace deletes everything in it first. Returns the last state. */
  delete(entry: StoredEntry, options: Pick<WriteOptions, 'dryRun'> = {}): StoredEntry {
    if (entry.type.kind === 'Namespace' && !options.dryRun) {
      for (const type of this.objects.keys()) {
        if (type.namespaced) for (const inner of this.entries(type, entry.name)) this.delete(inner);
      }
    }
    const object = structuredClone(entry.object);
    return this.write('DELETED', entry.type, object, options);
  }

  /** Changes after `revision`, oldest first; 410 Expired when they were compacted away. */
  changesSince(revision: number): Change[] {
    if (revision < this.compactedRevision) throw resourceVersionTooOld(revision, this.compactedRevision);
    const first = this.history.findIndex((c) => c.entry.resourceVersion > revision);
    return first < 0 ? [] : this.history.slice(first);
  }

  /** Internal change feed (entries, no copies); returns an unsubscribe function. */
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private typeOf(kind: string): ResourceType {
    const type = typeForKind(kind);
    if (!type) throw new Error(`the test cluster does not serve kind ${JSON.stringify(kind)}`);
    return type;
  }

  private write(change: ChangeType, type: ResourceType, object: RawObject, options: WriteOptions): StoredEntry {
    const revision = options.dryRun ? this.currentRevision : this.currentRevision + 1;
    const meta = object.metadata as RawObject;
    object.apiVersion = groupVersion(type);
    object.kind = type.kind;
    meta.resourceVersion = String(revision);
    // The NamespaceLifecycle label real servers (1.21+) keep on every namespace.
    if (type.kind === 'Namespace') meta.labels = { ...meta.labels, 'kubernetes.io/metadata.name': meta.name };
    // Go's omitempty: empty label and annotation maps are not sent.
    for (const field of ['labels', 'annotations']) {
      if (meta[field] && typeof meta[field] === 'object' && Object.keys(meta[field]).length === 0) delete meta[field];
    }
    if (options.manager !== undefined && change !== 'DELETED') recordManager(meta, options.manager, groupVersion(type));
    const namespace = type.namespaced ? String(meta.namespace) : '';
    const name = String(meta.name);
    const key = type.namespaced ? `${namespace}/${name}` : name;
    const entry: StoredEntry = { type, namespace, name, key, resourceVersion: revision, object, encoded: encodeObject(type, object) };
    if (options.dryRun) return entry;

    this.currentRevision = revision;
    let byKey = this.objects.get(type);
    if (!byKey) this.objects.set(type, (byKey = new Map()));
    const previous = change === 'MODIFIED' ? byKey.get(key) : undefined;
    if (change === 'DELETED') byKey.delete(key);
    else byKey.set(key, entry);
    this.sorted.delete(type);

    const record: Change = { type: change, entry, ...(previous ? { previous } : {}) };
    this.history.push(record);
    if (this.history.length > this.maxHistory) {
      const dropped = this.history.splice(0, this.history.length - this.maxHistory);
      this.compactedRevision = (dropped[dropped.length - 1] as Change).entry.resourceVersion;
    }
    this.undelivered.push(record);
    this.deliver();
    return entry;
  }

  /** Tells listeners about changes in resourceVersion order, even when a listener writes (a controller). */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let change = this.undelivered.shift(); change; change = this.undelivered.shift()) {
        for (const listener of this.listeners) listener(change);
      }
    } finally {
      this.delivering = false;
    }
  }
}

/** Updates (or adds) the manager's managedFields entry with the current time. */
function recordManager(meta: RawObject, manager: string, apiVersion: string): void {
  const fields: RawObject[] = Array.isArray(meta.managedFields) ? meta.managedFields : [];
  const entry = { manager, operation: 'Update', apiVersion, time: timestamp(), fieldsType: 'FieldsV1', fieldsV1: {} };
  const index = fields.findIndex((f) => f.manager === manager && f.operation === 'Update');
  if (index >= 0) fields[index] = entry;
  else fields.push(entry);
  meta.managedFields = fields;
}

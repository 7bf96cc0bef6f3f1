// The object store: objects keyed by type, namespace and name, a global resourceVersion counter,
// and a bounded history of changes that watches replay. Objects are copied on the way in and out.
//
// Built to hold a synthetic cluster of 100,000 pods: an object is kept only as its serialised JSON (a
// UTF-8 buffer, written once per write) plus what selectors need (labels, selectable fields). Each type's
// entries are also kept in a key-sorted array, updated in place, so a list page is a binary search and a
// slice. Reading an entry's `object` parses the JSON: a fresh copy, for writes and Tables, not for lists.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { lowerBound, type EntryRange } from './pagination.js';
import { groupVersion, typeForKind, type ResourceType } from './resources.js';
import { selectableFieldValues } from './selectors.js';
import { encodeItem, objectJson } from './serialize.js';
import { resourceVersionTooOld } from './status.js';
import type { RawObject } from './types.js';

/** One stored state of an object. Immutable: a write makes a new entry. */
export class StoredEntry {
  constructor(
    readonly type: ResourceType,
    /** '' for cluster-scoped objects. */
    readonly namespace: string,
    readonly name: string,
    /** Sort key: `namespace/name`, or the name of a cluster-scoped object (etcd's order). */
    readonly key: string,
    readonly resourceVersion: number,
    /** The object as a list item (UTF-8 JSON; built-in types without kind/apiVersion). Shared: never change it. */
    readonly item: Buffer,
    /** metadata.labels, for label selectors. Shared: never change it. */
    readonly labels: Readonly<Record<string, string>> | undefined,
    /** Values of the kind's selectable fields (besides metadata.name/namespace), for field selectors. */
    private readonly fields: Readonly<Record<string, string>> | undefined,
  ) {}

  /** The object as GET returns it: JSON with kind and apiVersion first. */
  json(): Buffer {
    return objectJson(this.type, this.item);
  }

  /** A fresh copy of the object (parses the stored JSON on every access). */
  get object(): RawObject {
    return JSON.parse(this.json().toString()) as RawObject;
  }

  /** A field selector's value: '' when the object does not have the field. */
  fieldValue(field: string): string {
    if (field === 'metadata.name') return this.name;
    if (field === 'metadata.namespace') return this.namespace;
    return this.fields?.[field] ?? '';
  }
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
  /** Each type's entries in key order, kept up to date by every write. */
  private readonly sorted = new Map<ResourceType, StoredEntry[]>();
  private readonly history: Change[] = [];
  private readonly listeners = new Set<(change: Change) => void>();
  /** Changes not yet told to listeners: writes made by a listener wait for the current round. */
  private readonly undelivered: Change[] = [];
  private delivering = false;
  /** Loading initial state: writes keep no history (compact() follows). */
  private loading = false;
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
    return this.seed((add) => {
      for (const object of objects) add(structuredClone(object));
    });
  }

  /**
   * Loads objects as they are produced (a generator calling `add`), as pre-existing state without
   * history. The store takes the objects over: it may change them and keeps no reference to them, so a
   * large synthetic cluster is never held as objects. Returns the kinds it skipped as unsupported.
   */
  seed(produce: (add: (object: RawObject) => void) => void): string[] {
    const skipped: string[] = [];
    this.loading = true;
    try {
      produce((object) => {
        if (typeof object.kind === 'string' && typeForKind(object.kind)) this.store(object);
        else skipped.push(String(object.kind));
      });
    } finally {
      this.loading = false;
      this.compact();
    }
    return skipped;
  }

  get(kind: string, namespace: string | undefined, name: string): RawObject | undefined {
    return this.find(this.typeOf(kind), namespace ?? '', name)?.object;
  }

  /** All objects of a kind, optionally in one namespace, in namespace/name order. */
  list(kind: string, namespace?: string): RawObject[] {
    return this.entries(this.typeOf(kind), namespace).map((e) => e.object);
  }

  /** How many objects of a kind there are, optionally in one namespace (a binary search, no copies). */
  count(kind: string, namespace?: string): number {
    const { from, to } = this.range(this.typeOf(kind), namespace);
    return to - from;
  }

  /** Creates or replaces an object without API checks; returns the stored copy. */
  put(object: RawObject, options: WriteOptions = {}): RawObject {
    return this.store(structuredClone(object), options).object;
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
        object: entry.object,
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

  /** Entries of a type in key order, optionally only one namespace's (a copy: safe to write while iterating). */
  entries(type: ResourceType, namespace?: string): StoredEntry[] {
    const { entries, from, to } = this.range(type, namespace);
    return entries.slice(from, to);
  }

  /**
   * Where a type's entries (or one namespace's, a contiguous run in key order) are in the type's sorted
   * array, found by binary search. The array is shared and changes with the next write: read it now.
   */
  range(type: ResourceType, namespace?: string): EntryRange {
    const entries = this.sorted.get(type) ?? [];
    if (namespace === undefined || !type.namespaced) return { entries, from: 0, to: entries.length };
    // Keys in the namespace are `${namespace}/...`; '0' is the character after '/'.
    const from = lowerBound(entries, `${namespace}/`);
    return { entries, from, to: lowerBound(entries, `${namespace}0`, from) };
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
    const before = previous.object;
    const old = before.metadata as RawObject;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    if (previous.type.tracksGeneration) {
      const changed = !isDeepStrictEqual(specOf(object), specOf(before));
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
    return this.write('DELETED', entry.type, entry.object, options);
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

  /** Creates or replaces `object` (which the store may change) without API checks. */
  private store(object: RawObject, options: WriteOptions = {}): StoredEntry {
    const type = this.typeOf(String(object.kind));
    object.metadata ??= {};
    const meta = object.metadata as RawObject;
    if (typeof meta.name !== 'string' || meta.name === '') throw new Error(`a ${type.kind} without metadata.name`);
    if (type.namespaced) meta.namespace ??= 'default';
    else delete meta.namespace;
    const previous = this.find(type, meta.namespace ?? '', meta.name);
    return previous ? this.replace(object, previous, options) : this.create(object, options, false);
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
    const labels = meta.labels && typeof meta.labels === 'object' ? Object.freeze({ ...(meta.labels as Record<string, string>) }) : undefined;
    const fields = selectableFieldValues(type.kind, object);
    const entry = new StoredEntry(type, namespace, name, key, revision, encodeItem(type, object), labels, fields && Object.freeze(fields));
    if (options.dryRun) return entry;

    this.currentRevision = revision;
    let byKey = this.objects.get(type);
    if (!byKey) this.objects.set(type, (byKey = new Map()));
    const previous = change === 'MODIFIED' ? byKey.get(key) : undefined;
    if (change === 'DELETED') byKey.delete(key);
    else byKey.set(key, entry);
    this.updateSorted(change, type, entry);

    const record: Change = { type: change, entry, ...(previous ? { previous } : {}) };
    if (!this.loading) {
      this.history.push(record);
      if (this.history.length > this.maxHistory) {
        const dropped = this.history.splice(0, this.history.length - this.maxHistory);
        this.compactedRevision = (dropped[dropped.length - 1] as Change).entry.resourceVersion;
      }
    }
    if (this.listeners.size > 0) {
      this.undelivered.push(record);
      this.deliver();
    }
    return entry;
  }

  /** Keeps the type's sorted array in step: insert (usually at the end while seeding), replace or remove. */
  private updateSorted(change: ChangeType, type: ResourceType, entry: StoredEntry): void {
    let all = this.sorted.get(type);
    if (!all) this.sorted.set(type, (all = []));
    const last = all[all.length - 1];
    if (change === 'ADDED' && (!last || last.key < entry.key)) {
      all.push(entry);
      return;
    }
    const index = lowerBound(all, entry.key);
    const found = all[index]?.key === entry.key;
    if (change === 'DELETED') {
      if (found) all.splice(index, 1);
    } else if (found) all[index] = entry;
    else all.splice(index, 0, entry);
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

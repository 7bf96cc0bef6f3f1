// The resource verbs (get, list, create, update, patch, delete) with a real server's checks: conflicts,
// preconditions, namespace existence, the status subresource, dry runs. Watches live in watch.ts.
import { randomBytes } from 'node:crypto';
import { decodeContinue, paginate } from './pagination.js';
import { applyPatch, PATCH_CONTENT_TYPES, PatchError } from './patch.js';
import type { ResourceRequest } from './request-info.js';
import { groupVersion, typeForKind, type ResourceType } from './resources.js';
import { compileLabelSelector, fieldsMatchValues, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { encodeJson, encodeList, encodeTable, type BodyParts, type ListMeta } from './serialize.js';
import { includeObjectParam, wantsTable } from './tables.js';
import { ApiError, alreadyExists, badRequest, conflict, continueExpired, invalid, methodNotAllowed, notFound, notServed } from './status.js';
import type { ObjectStore, StoredEntry, WriteOptions } from './store.js';
import type { RawObject } from './types.js';

export interface ApiRequest {
  verb: string;
  resource: ResourceRequest;
  query: URLSearchParams;
  contentType: string;
  accept: string;
  body: string;
  /** Who writes: the fieldManager parameter, else the user agent's program name. */
  manager: string;
}

export interface ApiResponse {
  status: number;
  /** JSON; lists come as the stored objects' bytes in parts. */
  body: string | Buffer | BodyParts;
}

const NAMESPACE_TYPE = typeForKind('Namespace') as ResourceType;

/**
 * The filter a list or watch request's selectors ask for, compiled once per request and evaluated on the
 * entries' stored labels and field values (no parsing); undefined when it selects everything.
 */
export function selectorFilter(type: ResourceType, query: URLSearchParams): ((entry: StoredEntry) => boolean) | undefined {
  const labels = parseLabelSelector(query.get('labelSelector') ?? '');
  const fields = parseFieldSelector(query.get('fieldSelector') ?? '', type.kind);
  if (labels.length === 0 && fields.length === 0) return undefined;
  const labelsMatch = compileLabelSelector(labels);
  if (fields.length === 0) return (entry) => labelsMatch(entry.labels);
  return (entry) => labelsMatch(entry.labels) && fieldsMatchValues(fields, (field) => entry.fieldValue(field));
}

/** 404s for paths that name a type in the wrong scope or an unknown subresource. */
export function checkScope(resource: ResourceRequest, verb: string): void {
  const { type, namespace, name, subresource } = resource;
  const isNamespaceObject = type === NAMESPACE_TYPE;
  if (!type.namespaced && namespace !== undefined && !isNamespaceObject) throw notServed();
  if (type.namespaced && namespace === undefined && (name !== undefined || verb === 'create')) throw notServed();
  if (subresource !== undefined && (subresource !== 'status' || !type.hasStatus)) throw notServed();
  if (subresource !== undefined && !['get', 'update', 'patch'].includes(verb)) throw methodNotAllowed();
}

function parseBody(body: string): RawObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the request body must be a JSON object');
  return parsed as RawObject;
}

const ok = (status: number, entry: StoredEntry): ApiResponse => ({ status, body: entry.json() });

export class ResourceHandlers {
  constructor(private readonly store: ObjectStore) {}

  handle(request: ApiRequest): ApiResponse {
    checkScope(request.resource, request.verb);
    if ((request.verb === 'create' || request.verb === 'update') && !['', 'application/json'].includes(request.contentType)) {
      // Typed Go clients (e.g. `kubectl create namespace`) send protobuf, which this server cannot read.
      throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json');
    }
    switch (request.verb) {
      case 'list':
        return this.list(request);
      case 'get':
        return this.get(request);
      case 'create':
        return this.create(request);
      case 'update':
        return this.update(request);
      case 'patch':
        return this.patch(request);
      case 'delete':
        return this.delete(request);
      default:
        throw methodNotAllowed();
    }
  }

  private existing({ type, namespace, name }: ResourceRequest): StoredEntry {
    const entry = this.store.find(type, namespace ?? '', name ?? '');
    if (!entry) throw notFound(type, name ?? '');
    return entry;
  }

  private get({ resource, query, accept }: ApiRequest): ApiResponse {
    const entry = this.existing(resource);
    if (!wantsTable(accept)) return ok(200, entry);
    return { status: 200, body: encodeTable(resource.type, [entry], { resourceVersion: String(entry.resourceVersion) }, includeObjectParam(query)) };
  }

  private list({ resource, query, accept }: ApiRequest): ApiResponse {
    const { type, namespace } = resource;
    const matches = selectorFilter(type, query);
    const continueParam = query.get('continue');
    const token = continueParam ? decodeContinue(continueParam) : undefined;
    if (token && token.rv < this.store.oldestRevision) throw continueExpired();
    const limit = Number(query.get('limit') ?? 0);
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit ${JSON.stringify(query.get('limit'))}`);

    const page = paginate(this.store.range(type, namespace), limit, token, this.store.revision, matches);
    const meta: ListMeta = {
      resourceVersion: String(token?.rv ?? this.store.revision),
      ...(page.continue ? { continue: page.continue } : {}),
      ...(page.continue && !matches ? { remainingItemCount: page.remainingItemCount } : {}),
    };
    const body = wantsTable(accept)
      ? encodeTable(type, page.items, meta, includeObjectParam(query))
      : encodeList(type, page.items, meta);
    return { status: 200, body };
  }

  private create({ resource, query, body, manager }: ApiRequest): ApiResponse {
    const { type, namespace } = resource;
    const object = this.checkedBody(type, body);
    const meta = object.metadata;
    if (type.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
      if (!this.store.find(NAMESPACE_TYPE, '', namespace ?? '')) throw notFound(NAMESPACE_TYPE, namespace ?? '');
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (!meta.name) throw invalid(type, '', 'metadata.name', 'Required value: name or generateName is required');
    if (meta.resourceVersion) throw new ApiError(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
    if (this.store.find(type, namespace ?? '', meta.name)) throw alreadyExists(type, meta.name);
    return ok(201, this.store.create(object, this.writeOptions(query, manager)));
  }

  private update({ resource, query, body, manager }: ApiRequest): ApiResponse {
    const current = this.existing(resource);
    const object = this.checkedBody(resource.type, body);
    if (object.metadata.name !== current.name) {
      throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${current.name})`);
    }
    const sent = object.metadata.resourceVersion;
    if (sent !== undefined && sent !== '' && sent !== String(current.resourceVersion)) throw conflict(resource.type, current.name);
    return ok(200, this.save(resource, current, object, query, manager));
  }

  private patch({ resource, query, body, manager, contentType }: ApiRequest): ApiResponse {
    const current = this.existing(resource);
    const patchType = PATCH_CONTENT_TYPES[contentType];
    if (!patchType || (patchType === 'strategic' && resource.type.custom)) {
      const accepted = Object.keys(PATCH_CONTENT_TYPES).filter((t) => !resource.type.custom || PATCH_CONTENT_TYPES[t] !== 'strategic');
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
    }
    let patched: RawObject;
    try {
      patched = applyPatch(patchType, current.object, JSON.parse(body));
    } catch (err) {
      if (err instanceof SyntaxError) throw badRequest(`the patch is not valid JSON: ${err.message}`);
      if (err instanceof PatchError) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${err.message}`);
      throw err;
    }
    if (typeof patched.metadata !== 'object' || patched.metadata === null) patched.metadata = {};
    // A resourceVersion in the patched object (kept, or set by the patch) is a precondition.
    const precondition = patched.metadata.resourceVersion;
    if (precondition !== undefined && String(precondition) !== String(current.resourceVersion)) throw conflict(resource.type, current.name);
    patched.metadata.name = current.name;
    return ok(200, this.save(resource, current, patched, query, manager));
  }

  private delete({ resource, query, body }: ApiRequest): ApiResponse {
    const current = this.existing(resource);
    const preconditions = body.trim() ? (parseBody(body).preconditions as RawObject | undefined) : undefined;
    const uid = current.object.metadata?.uid;
    if (
      (preconditions?.uid !== undefined && preconditions.uid !== uid) ||
      (preconditions?.resourceVersion !== undefined && preconditions.resourceVersion !== String(current.resourceVersion))
    ) {
      throw conflict(resource.type, current.name);
    }
    const deleted = this.store.delete(current, { dryRun: query.get('dryRun') === 'All' });
    if (['Pod', 'Namespace'].includes(resource.type.kind)) return ok(200, deleted);
    const details = { name: current.name, ...(resource.type.group ? { group: resource.type.group } : {}), kind: resource.type.name, uid };
    return { status: 200, body: encodeJson({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }) };
  }

  /** Writes a new state: the main resource keeps the stored status, the status subresource changes only it. */
  private save(resource: ResourceRequest, current: StoredEntry, object: RawObject, query: URLSearchParams, manager: string): StoredEntry {
    let next = object;
    if (resource.type.namespaced) next.metadata.namespace = current.namespace;
    if (resource.subresource === 'status') next = { ...current.object, status: object.status };
    else if (resource.type.hasStatus) {
      const { status } = current.object;
      if (status === undefined) delete next.status;
      else next.status = status;
    }
    return this.store.replace(next, current, this.writeOptions(query, manager));
  }

  private checkedBody(type: ResourceType, body: string): RawObject {
    const object = parseBody(body);
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw badRequest(`the kind of the object (${object.kind}) does not match the kind of the resource (${type.kind})`);
    }
    if (object.apiVersion !== undefined && object.apiVersion !== groupVersion(type)) {
      throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${groupVersion(type)})`);
    }
    if (typeof object.metadata !== 'object' || object.metadata === null) object.metadata = {};
    object.kind = type.kind;
    return object;
  }

  private writeOptions(query: URLSearchParams, manager: string): WriteOptions {
    return { manager, dryRun: query.get('dryRun') === 'All' };
  }
}

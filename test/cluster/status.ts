// API errors as the Kubernetes `Status` objects a real server sends.
import type { ResourceType } from './resources.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Expired'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export interface StatusDetails {
  name?: string;
  group?: string;
  /** The resource (plural), as real servers report it. */
  kind?: string;
  retryAfterSeconds?: number;
  causes?: { reason?: string; message: string; field?: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    /** ListMeta of the Status, e.g. a fresh continue token. */
    readonly listMeta: { continue?: string } = {},
  ) {
    super(message);
  }

  /** Extra response headers (Retry-After for 429). */
  headers(): Record<string, string> {
    return this.details?.retryAfterSeconds !== undefined ? { 'Retry-After': String(this.details.retryAfterSeconds) } : {};
  }

  toStatus(): object {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.listMeta,
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `pods`, `deployments.apps`: how messages name a resource. */
export const qualifiedResource = (type: ResourceType): string => (type.group ? `${type.name}.${type.group}` : type.name);

const detailsFor = (type: ResourceType, name?: string): StatusDetails => ({
  ...(name !== undefined ? { name } : {}),
  ...(type.group ? { group: type.group } : {}),
  kind: type.name,
});

export const notFound = (type: ResourceType, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, detailsFor(type, name));

export const alreadyExists = (type: ResourceType, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, detailsFor(type, name));

export const conflict = (type: ResourceType, name: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    detailsFor(type, name),
  );

/** A path the server has no resource (or subresource) for. */
export const notServed = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export const methodNotAllowed = (): ApiError => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const invalid = (type: ResourceType, name: string, field: string, message: string): ApiError =>
  new ApiError(422, 'Invalid', `${type.kind} "${name}" is invalid: ${field}: ${message}`, {
    ...detailsFor(type, name),
    kind: type.kind,
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });

export const continueExpired = (): ApiError =>
  new ApiError(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
  );

export const resourceVersionTooOld = (requested: number, oldest: number): ApiError =>
  new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (user: string, verb: string, type: ResourceType, namespace: string | undefined, name?: string): ApiError => {
  const what = name !== undefined ? `${qualifiedResource(type)} "${name}"` : qualifiedResource(type);
  const scope = namespace !== undefined ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${what} is forbidden: User "${user}" cannot ${verb} resource "${type.name}" in API group "${type.group}" ${scope}`,
    detailsFor(type, name),
  );
};

/** The error a fault rule injects for an HTTP status code. */
export function injectedError(code: number): ApiError {
  switch (code) {
    case 429:
      return new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });
    case 500:
      return new ApiError(500, 'InternalError', 'Internal error occurred: injected fault', { causes: [{ message: 'injected fault' }] });
    default:
      return new ApiError(code, REASON_BY_CODE[code] ?? 'InternalError', `injected fault (HTTP ${code})`);
  }
}

/** Any thrown value as an ApiError (unexpected ones become 500s). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

// One HTTP request through the API server's stages: request log, authentication, fault injection,
// non-resource paths (version, discovery, health), authorization, then the resource handlers or a watch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVER_VERSION, discoveryDocument, openApiV2 } from './discovery.js';
import type { Faults } from './faults.js';
import { checkScope, ResourceHandlers, selectorFilter } from './handlers.js';
import { pageOf } from './pagination.js';
import type { AccessRules } from './rbac.js';
import { requestInfo, type RequestInfo, type ResourceRequest } from './request-info.js';
import { encodeJson, type BodyParts } from './serialize.js';
import { asApiError, continueExpired, injectedError, methodNotAllowed, notServed, unauthorized, type ApiError } from './status.js';
import type { ObjectStore } from './store.js';
import { includeObjectParam, wantsTable } from './tables.js';
import { sendWatchError, serveWatch } from './watch.js';

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete (deletecollection). */
  verb: string;
  /** Resource plural, for resource requests. */
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  accept?: string;
  contentType?: string;
  userAgent?: string;
  /** The HTTP status sent; set when the response has ended. */
  status?: number;
  /** How the request authenticated, when the cluster requires credentials and it presented good ones. */
  credential?: 'token' | 'client-certificate';
}

export interface ApiServerParts {
  store: ObjectStore;
  faults: Faults;
  access: AccessRules;
  requests: RequestRecord[];
  token?: string;
  /** Accept a client certificate that the TLS layer verified against the client CA. */
  clientCertificates?: boolean;
  /** host:port, for /api's serverAddressByClientCIDRs. */
  address: () => string;
}

/** Paths anyone may read without credentials (system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Writes a complete response, or (resetConnection) the headers and half the body, then kills the socket. */
function send(response: ServerResponse, status: number, body: string | Buffer | BodyParts, headers: Record<string, string>, reset = false): void {
  const contentType = headers['Content-Type'] ?? 'application/json';
  const parts = typeof body === 'string' ? [Buffer.from(body)] : Buffer.isBuffer(body) ? [body] : body;
  let length = 0;
  for (const part of parts) length += part.length;
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': length, 'Cache-Control': 'no-cache, private', ...headers });
  // Corked, the parts leave in one writev when the response ends (or is cut).
  response.cork();
  if (!reset) {
    for (const part of parts) response.write(part);
    response.end();
    return;
  }
  // The first half, then the connection is cut (once that half has been handed to the kernel).
  const cut = () => response.socket?.destroy();
  let left = Math.floor(length / 2);
  if (left === 0) response.write(Buffer.alloc(0), cut);
  for (const part of parts) {
    if (left === 0) break;
    const piece = part.length <= left ? part : part.subarray(0, left);
    left -= piece.length;
    response.write(piece, left === 0 ? cut : undefined);
  }
  response.uncork();
}

function sendError(response: ServerResponse, error: ApiError, reset = false): void {
  send(response, error.code, encodeJson(error.toStatus()), error.headers(), reset);
}

/** One request on its way through the stages. */
interface Call {
  request: IncomingMessage;
  response: ServerResponse;
  method: string;
  url: URL;
  info: RequestInfo;
  /** A fault asked to cut the connection halfway through the response. */
  reset: boolean;
}

export class ApiServer {
  private readonly handlers: ResourceHandlers;
  private readonly watches = new Set<{ end: () => void }>();

  constructor(private readonly parts: ApiServerParts) {
    this.handlers = new ResourceHandlers(parts.store);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const info = requestInfo(method, url.pathname, url.searchParams);
    const record = this.record(request, method, url, info);
    response.on('close', () => {
      record.status = response.statusCode;
    });
    const call: Call = { request, response, method, url, info, reset: false };
    try {
      this.authenticate(request, url.pathname, record);
      const effect = this.parts.faults.effectFor({
        method,
        path: url.pathname,
        verb: info.verb,
        resource: info.resource?.type.name,
        namespace: info.resource?.namespace,
        page: info.verb === 'list' ? pageOf(url.searchParams.get('continue')) : undefined,
      });
      if (effect.latencyMs > 0) await sleep(effect.latencyMs);
      if (effect.status !== undefined) return this.sendFault(call, effect.status);
      call.reset = effect.resetConnection;
      const body = await readBody(request);
      if (info.unknownResource) throw notServed();
      if (!info.resource) this.serveNonResource(call);
      else if (info.verb === 'watch') this.serveWatch(call, info.resource);
      else this.serveResource(call, info.resource, body);
    } catch (err) {
      if (response.headersSent) response.socket?.destroy();
      else sendError(response, asApiError(err), call.reset);
    }
  }

  /** Ends every open watch stream cleanly, as an API server does when a watch times out or it restarts. */
  closeWatches(): void {
    for (const watch of this.watches) watch.end();
  }

  private record(request: IncomingMessage, method: string, url: URL, info: RequestInfo): RequestRecord {
    const resource = info.resource;
    const record: RequestRecord = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      verb: info.verb,
      ...(resource
        ? {
            resource: resource.type.name,
            ...(resource.namespace !== undefined ? { namespace: resource.namespace } : {}),
            ...(resource.name !== undefined ? { name: resource.name } : {}),
            ...(resource.subresource !== undefined ? { subresource: resource.subresource } : {}),
          }
        : {}),
      ...(request.headers.accept ? { accept: request.headers.accept } : {}),
      ...(request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}),
      ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
    };
    this.parts.requests.push(record);
    return record;
  }

  /** A verified client certificate or the right bearer token; without either, only the public paths. */
  private authenticate(request: IncomingMessage, path: string, record: RequestRecord): void {
    const { token, clientCertificates } = this.parts;
    if (token === undefined && !clientCertificates) return;
    if (clientCertificates && (request.socket as Partial<TLSSocket>).authorized === true) {
      record.credential = 'client-certificate';
      return;
    }
    const header = request.headers.authorization;
    if (token !== undefined && header === `Bearer ${token}`) {
      record.credential = 'token';
      return;
    }
    if (header === undefined && PUBLIC_PATHS.has(path)) return;
    throw unauthorized();
  }

  /** An injected error: a 410 on a continued list is an expired token, on a watch an ERROR event. */
  private sendFault({ response, info, url }: Call, status: number): void {
    if (status === 410 && info.verb === 'list' && url.searchParams.has('continue')) sendError(response, continueExpired());
    else if (status === 410 && info.verb === 'watch') sendWatchError(response, injectedError(410));
    else sendError(response, injectedError(status));
  }

  /** /version, health checks, discovery and OpenAPI. */
  private serveNonResource({ request, response, method, url, reset }: Call): void {
    if (method !== 'GET') throw methodNotAllowed();
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (HEALTH_PATHS.has(path)) return send(response, 200, 'ok', { 'Content-Type': 'text/plain; charset=utf-8' }, reset);
    if (path === '/openapi/v2') {
      const openApi = openApiV2(request.headers.accept ?? '');
      return send(response, 200, openApi.body, { 'Content-Type': openApi.contentType }, reset);
    }
    const document = path === '/version' ? SERVER_VERSION : discoveryDocument(path, this.parts.address());
    if (!document) throw notServed();
    send(response, 200, encodeJson(document), {}, reset);
  }

  private serveWatch({ request, response, url, info, reset }: Call, resource: ResourceRequest): void {
    this.authorize(info.verb, resource);
    checkScope(resource, 'list');
    const matches = selectorFilter(resource.type, url.searchParams);
    if (reset) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('{"type":"ADDED","object":{', () => response.socket?.destroy());
      return;
    }
    const table = wantsTable(request.headers.accept) ? includeObjectParam(url.searchParams) : undefined;
    const watch = serveWatch(this.parts.store, { resource, query: url.searchParams, ...(matches ? { matches } : {}), ...(table ? { table } : {}) }, response);
    this.watches.add(watch);
    response.on('close', () => this.watches.delete(watch));
  }

  private serveResource({ request, response, url, info, reset }: Call, resource: ResourceRequest, body: string): void {
    this.authorize(info.verb, resource);
    const userAgentProgram = (request.headers['user-agent'] ?? '').split('/')[0];
    const result = this.handlers.handle({
      verb: info.verb,
      resource,
      query: url.searchParams,
      contentType: (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '',
      accept: request.headers.accept ?? '',
      body,
      manager: url.searchParams.get('fieldManager') || userAgentProgram || 'unknown',
    });
    send(response, result.status, result.body, {}, reset);
  }

  private authorize(verb: string, resource: ResourceRequest): void {
    const denied = this.parts.access.check(verb, resource);
    if (denied) throw denied;
  }
}

// A lean Kubernetes REST client: authentication and TLS come from client-node (tokens, client
// certificates, exec plugins), requests and JSON parsing are done here so large lists stay fast.
// Retries 429/5xx/connection errors with backoff; every failure becomes one clear line.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import yaml from 'js-yaml';
import type { ResolvedContext } from './kubeconfig.js';
import { ListSplitter, type Projection } from './list-splitter.js';
import { UserError } from './source.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly body: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}

export interface RequestLog {
  method: string;
  path: string;
}

export interface ApiClientOptions {
  timeoutMs: number;
  /** Attempts for retryable failures (429, 5xx, connection errors). */
  attempts?: number;
  /** Base backoff; doubled on each attempt. */
  backoffMs?: number;
}

export interface ListPageOptions<T> {
  /** Turns an item's JSON text (projected, when a projection is given) into what the page yields. */
  parseItem: (json: string) => T;
  /** The members of each item to keep (see list-splitter.ts); default: the whole item. */
  projection?: Projection;
  /**
   * Called with the list without its items as soon as the items start, once per attempt: a caller can
   * request the next page (metadata.continue) while this one still arrives.
   */
  onHead?: (head: Record<string, unknown>) => void;
  /** Aborting stops the request at once (and any retry); the page then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Chunks already read that are parsed in one go before I/O gets a turn (default CHUNKS_PER_TURN). */
  chunksPerTurn?: number;
}

interface Prepared {
  base: URL;
  agent: http.Agent;
  headers: Record<string, string>;
  tls: boolean;
  /** Request options beyond the agent (basic auth). */
  extra: https.RequestOptions;
  /** Impersonated groups: one Impersonate-Group header each. */
  groups?: string[];
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

export class ApiClient {
  private constructor(
    private readonly prepared: Prepared,
    private readonly options: Required<ApiClientOptions>,
    readonly server: string,
  ) {}

  static async create(context: ResolvedContext, options: ApiClientOptions): Promise<ApiClient> {
    let base: URL;
    try {
      base = new URL(context.server);
    } catch {
      throw new UserError(`context "${context.contextName}" has an invalid server URL: ${JSON.stringify(context.server)}`);
    }
    const tls = base.protocol === 'https:';
    const prepared = context.needsClientNode ? await viaClientNode(context, tls) : direct(context, tls);
    return new ApiClient({ base, tls, ...prepared }, { attempts: 4, backoffMs: 250, ...options }, context.server);
  }

  /** GET a path; returns parsed JSON. Retries retryable failures. */
  async get<T = Record<string, unknown>>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return (await this.request('GET', path, query)) as T;
  }

  /**
   * Streams one page of a list: the items, parsed by `parseItem` from their JSON text as the response
   * arrives (see list-splitter.ts), in small batches; returns the list without its items. Retryable
   * failures are retried like any request, also mid-response: the retry yields the page again from its
   * first item, so a caller that must not see an item twice drops the ones it has (by key).
   */
  async *listPage<T>(path: string, query: Record<string, string | number | undefined>, options: ListPageOptions<T>): AsyncGenerator<T[], Record<string, unknown>, undefined> {
    const { parseItem, projection, onHead, signal, chunksPerTurn = CHUNKS_PER_TURN } = options;
    let attempt = 0;
    for (;;) {
      attempt++;
      let response: OpenResponse | null = null;
      try {
        signal?.throwIfAborted();
        response = await this.open('GET', path, query, undefined, undefined, signal);
        let batch: T[] = [];
        const splitter = new ListSplitter((json) => batch.push(parseItem(json)), { ...(projection ? { projection } : {}), ...(onHead ? { onHead } : {}) });
        for await (const chunk of readAhead(response.res, READ_AHEAD_BYTES, chunksPerTurn)) {
          if (onHead && !splitter.headDone && chunk.length > HEAD_BYTES) {
            // The head alone first: a request onHead sends is written in a nextTick callback (Node hands it
            // its kept-alive socket there), so it leaves now, not once the rest of the chunk is parsed.
            splitter.push(chunk.subarray(0, HEAD_BYTES));
            if (splitter.headDone) await afterNextTicks();
            splitter.push(chunk.subarray(HEAD_BYTES));
          } else splitter.push(chunk);
          if (batch.length > 0) {
            const out = batch;
            batch = [];
            yield out;
          }
        }
        if (!response.res.complete) throw new TruncatedResponse();
        return splitter.end();
      } catch (raw) {
        if (signal?.aborted) throw signal.reason;
        await this.backOff(response?.failure() ?? (raw instanceof SyntaxError ? new TruncatedResponse() : raw), attempt, 'GET', path, signal);
      } finally {
        // A consumer that stops early (or a failure) leaves the rest of the response unread.
        if (response && !response.res.complete) response.res.destroy();
      }
    }
  }

  async patch<T = Record<string, unknown>>(path: string, body: unknown, contentType: string): Promise<T> {
    return (await this.request('PATCH', path, {}, JSON.stringify(body), contentType)) as T;
  }

  async request(method: string, path: string, query: Record<string, string | number | undefined> = {}, body?: string, contentType?: string): Promise<unknown> {
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        return await this.once(method, path, query, body, contentType);
      } catch (err) {
        await this.backOff(err, attempt, method, path);
      }
    }
  }

  /** After a failed attempt: waits before the next one, or throws the failure as users see it. */
  private async backOff(err: unknown, attempt: number, method: string, path: string, signal?: AbortSignal): Promise<void> {
    const retry = this.retryDelay(err, attempt);
    if (retry === null) throw this.toUserFacing(err, method, path);
    await sleep(retry, undefined, signal ? { signal } : {});
  }

  private retryDelay(err: unknown, attempt: number): number | null {
    if (attempt >= this.options.attempts) return null;
    const backoff = this.options.backoffMs * 2 ** (attempt - 1);
    if (err instanceof ApiError) {
      if (err.status === 429 || err.status === 500 || err.status === 502 || err.status === 503 || err.status === 504) {
        const retryAfter = Number((err.body as { retryAfterSeconds?: number } | null)?.retryAfterSeconds);
        return Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 10_000) : backoff;
      }
      return null;
    }
    const code = (err as { code?: string })?.code;
    if (code && RETRYABLE_CODES.has(code)) return backoff;
    if (err instanceof TruncatedResponse) return backoff;
    return null;
  }

  private toUserFacing(err: unknown, method: string, path: string): Error {
    if (err instanceof ApiError) return err;
    const code = (err as { code?: string })?.code ?? '';
    const where = this.server;
    if (code === 'ECONNREFUSED') return new UserError(`cannot reach the Kubernetes API at ${where}: connection refused`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UserError(`cannot reach the Kubernetes API at ${where}: host not found`);
    if (code === 'REQUEST_TIMEOUT') return new UserError(`request to the Kubernetes API at ${where} timed out after ${this.options.timeoutMs / 1000}s (${method} ${path}); see --request-timeout`);
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME|SSL/i.test(code) || /certificate|TLS|SSL/i.test(String((err as Error)?.message))) {
      return new UserError(`TLS error talking to ${where}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (err instanceof TruncatedResponse) return new UserError(`the Kubernetes API at ${where} closed the connection mid-response (${method} ${path})`);
    return new UserError(`request to ${where} failed: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`);
  }

  /** One request, its whole body parsed as JSON. */
  private async once(method: string, path: string, query: Record<string, string | number | undefined>, body?: string, contentType?: string): Promise<unknown> {
    const response = await this.open(method, path, query, body, contentType);
    const text = await readAll(response);
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      throw new TruncatedResponse();
    }
  }

  /**
   * Sends a request; resolves with the response once a 2xx status arrives (its body not yet read), or
   * rejects: an ApiError built from the Status body, a timeout, a connection error.
   */
  private open(method: string, path: string, query: Record<string, string | number | undefined>, body?: string, contentType?: string, signal?: AbortSignal): Promise<OpenResponse> {
    const { base, agent, headers, tls, extra } = this.prepared;
    const url = new URL(base.toString());
    url.pathname = `${base.pathname.replace(/\/$/, '')}${path}`;
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const requestHeaders: Record<string, string | string[]> = { ...headers, Accept: 'application/json', 'User-Agent': 'kubectl-inject' };
    if (this.prepared.groups) requestHeaders['Impersonate-Group'] = this.prepared.groups;
    if (body !== undefined) {
      requestHeaders['Content-Type'] = contentType ?? 'application/json';
      requestHeaders['Content-Length'] = String(Buffer.byteLength(body));
    }
    const lib = tls ? https : http;
    return new Promise((resolve, reject) => {
      // The first failure of the request (a timeout destroys it; the response then only says "aborted").
      let failure: Error | null = null;
      const req = lib.request(url, { method, agent, headers: requestHeaders, ...extra, ...(signal ? { signal } : {}) }, (res) => {
        const status = res.statusCode ?? 0;
        const response: OpenResponse = { res, failure: () => failure };
        if (status >= 200 && status < 300) return resolve(response);
        readAll(response).then((text) => {
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // Not a Status object: the HTTP status alone says what happened.
          }
          const st = (parsed && typeof parsed === 'object' ? parsed : {}) as { reason?: string; message?: string; details?: { retryAfterSeconds?: number } };
          const retryAfter = Number(res.headers['retry-after']);
          const bodyObj = { ...(st as Record<string, unknown>), retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : st.details?.retryAfterSeconds };
          const reason = st.reason ?? (status === 401 ? 'Unauthorized' : `HTTP ${status}`);
          const message = status === 401 ? `Unauthorized: the API server rejected the credentials of the current context (${method} ${path})` : st.message ?? `${reason} (${method} ${path})`;
          reject(new ApiError(status, reason, message, bodyObj));
        }, reject);
      });
      req.setTimeout(this.options.timeoutMs > 0 ? this.options.timeoutMs : 0, () => {
        failure ??= Object.assign(new Error('request timed out'), { code: 'REQUEST_TIMEOUT' });
        req.destroy(failure);
      });
      req.on('error', (err) => {
        failure ??= err;
        reject(err);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  close(): void {
    this.prepared.agent.destroy();
  }
}

type Connection = Pick<Prepared, 'agent' | 'headers' | 'extra' | 'groups'>;

/** Plain credentials: TLS material and headers set up here, without loading client-node. */
function direct(context: ResolvedContext, tls: boolean): Connection {
  const headers: Record<string, string> = {};
  const extra: https.RequestOptions = {};
  if (context.token) headers.Authorization = `Bearer ${context.token}`;
  else if (context.username !== undefined) extra.auth = `${context.username}:${context.password ?? ''}`;
  if (context.impersonate?.user) headers['Impersonate-User'] = context.impersonate.user;
  const agent = tls
    ? new https.Agent({
        keepAlive: true,
        ca: context.ca,
        cert: context.cert,
        key: context.key,
        rejectUnauthorized: !context.insecureSkipTLSVerify,
        servername: context.tlsServerName,
      })
    : new http.Agent({ keepAlive: true });
  const connection: Connection = { agent, headers, extra };
  if (context.impersonate?.groups.length) connection.groups = context.impersonate.groups;
  return connection;
}

/** Exec plugins, auth providers and proxies: client-node sets up the credentials and the agent. */
async function viaClientNode(context: ResolvedContext, tls: boolean): Promise<Connection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const merged = tls
    ? context.merged
    : {
        // client-node refuses plain http; kubectl allows it. Only the credentials are wanted here.
        ...context.merged,
        clusters: context.merged.clusters.map((c) => ({ ...c, cluster: { ...(c.cluster as object), 'insecure-skip-tls-verify': true } })),
      };
  kc.loadFromString(yaml.dump(merged));
  kc.setCurrentContext(context.contextName);
  const opts: https.RequestOptions = { headers: {} };
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    throw new UserError(`cannot set up credentials for context "${context.contextName}": ${(err as Error).message.split('\n')[0]}`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
  const extra: https.RequestOptions = {};
  if (opts.auth) extra.auth = opts.auth;
  const agent = tls ? ((opts.agent as http.Agent | undefined) ?? new https.Agent({ keepAlive: true })) : new http.Agent({ keepAlive: true });
  (agent as http.Agent & { keepAlive?: boolean }).keepAlive = true;
  return { agent, headers, extra };
}

interface OpenResponse {
  res: http.IncomingMessage;
  /** The request's own failure (a timeout), which explains a response that ends early. */
  failure(): Error | null;
}

/** The whole body of a response as text; a response cut short is a TruncatedResponse (retried). */
function readAll(response: OpenResponse): Promise<string> {
  const { res } = response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let aborted = false;
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('aborted', () => {
      aborted = true;
    });
    res.on('error', (e) => reject(response.failure() ?? (aborted ? new TruncatedResponse() : e)));
    res.on('end', () => {
      if (aborted || !res.complete) return reject(response.failure() ?? new TruncatedResponse());
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * How much of a list response is read before the consumer asks for it (then the socket is paused):
 * the bytes are there when the parser comes back, instead of trickling in as the socket's buffer drains.
 * Not more: chunks that wait through two scavenges are promoted, and their memory (outside the heap) is
 * only freed by the next full GC. At 100,000 pods, 4 MB ahead cost 20-50 MB of peak RSS and no time.
 */
const READ_AHEAD_BYTES = 1024 * 1024;
/**
 * Parsing chunks already read gives way to I/O every this many chunks (64 KB each, a few ms), unless the
 * list asks otherwise (ListPageOptions.chunksPerTurn).
 */
export const CHUNKS_PER_TURN = 4;

/** Bytes of a list response that hold its head (kind, apiVersion, metadata: a few hundred bytes), and more. */
const HEAD_BYTES = 4096;

/**
 * Resolves after Node's pending process.nextTick callbacks. A request is handed its (kept-alive) socket,
 * and so written, in a nextTick callback, and those run only once the current run of microtasks is over:
 * parsing chunks already read is one such run, so a request sent from within it would wait for it.
 */
export const afterNextTicks = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

/**
 * The chunks of a response, read as they arrive up to `limit` bytes ahead of the consumer. Ends when the
 * response ends or closes (the caller checks `res.complete`); throws its error.
 */
async function* readAhead(res: http.IncomingMessage, limit: number, chunksPerTurn: number): AsyncGenerator<Buffer, void, undefined> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onData = (chunk: Buffer): void => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= limit) res.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onError = (err: unknown): void => {
    failure = err;
    notify();
  };
  res.on('data', onData);
  res.on('end', onEnd);
  res.on('close', onEnd);
  res.on('error', onError);
  let sinceIo = 0;
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        queued -= chunk.length;
        if (queued < limit && res.isPaused()) res.resume();
        yield chunk;
        // Chunks read ahead are parsed in one go of microtasks: now and then, let I/O in (the head of
        // the page requested ahead, which sends the request after it, should not wait for this page).
        if (++sinceIo >= chunksPerTurn) {
          sinceIo = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      sinceIo = 0;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    res.off('data', onData);
    res.off('end', onEnd);
    res.off('close', onEnd);
    res.off('error', onError);
  }
}

class TruncatedResponse extends Error {
  constructor() {
    super('response truncated');
  }
}

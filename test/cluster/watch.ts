// Watches: a chunked stream of newline-delimited watch events. Without a resourceVersion (or with "0")
// the stream starts with ADDED events for what exists; with one, it replays the changes after it.
// Objects moving into or out of the selector arrive as ADDED / DELETED, as from a real server.
import type { ServerResponse } from 'node:http';
import type { ResourceRequest } from './request-info.js';
import { encodeJson, encodeTable, encodeWatchEvent, type WatchEventType } from './serialize.js';
import { asApiError, badRequest, type ApiError } from './status.js';
import type { Change, ObjectStore, StoredEntry } from './store.js';
import type { IncludeObject } from './tables.js';

export interface WatchRequest {
  resource: ResourceRequest;
  /** The selectors' filter; undefined = everything. */
  matches?: (entry: StoredEntry) => boolean;
  query: URLSearchParams;
  /** Send each object as a one-row Table (kubectl get -w), embedding this much of the object. */
  table?: IncludeObject;
}

function startHeaders(response: ServerResponse): void {
  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  response.flushHeaders();
}

/** Answers a watch with a single ERROR event (how real servers report a too old resourceVersion). */
export function sendWatchError(response: ServerResponse, error: ApiError): void {
  startHeaders(response);
  response.end(encodeWatchEvent('ERROR', encodeJson(error.toStatus())));
}

const selects = (request: WatchRequest, entry: StoredEntry): boolean => !request.matches || request.matches(entry);

/** The event a change becomes for this watch, if any. */
function eventFor(change: Change, request: WatchRequest): WatchEventType | undefined {
  const { entry, previous } = change;
  const { namespace } = request.resource;
  if (entry.type !== request.resource.type) return undefined;
  if (namespace !== undefined && entry.type.namespaced && entry.namespace !== namespace) return undefined;
  const now = selects(request, entry);
  if (change.type !== 'MODIFIED' || !previous) return now ? change.type : undefined;
  const before = selects(request, previous);
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}

/**
 * Streams a watch until the client goes away, timeoutSeconds pass, or the returned `end` is called.
 * Throws (before anything is sent) for an invalid resourceVersion.
 */
export function serveWatch(store: ObjectStore, request: WatchRequest, response: ServerResponse): { end: () => void } {
  const rvParam = request.query.get('resourceVersion') ?? '';
  const revision = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
  if (revision !== undefined && (!Number.isInteger(revision) || revision < 0)) throw badRequest(`invalid resource version: ${JSON.stringify(rvParam)}`);
  let backlog: Change[] | undefined;
  try {
    backlog = revision === undefined ? undefined : store.changesSince(revision);
  } catch (err) {
    sendWatchError(response, asApiError(err));
    return { end: () => undefined };
  }

  startHeaders(response);
  const { table } = request;
  const encode = (entry: StoredEntry) =>
    table ? encodeTable(entry.type, [entry], { resourceVersion: String(entry.resourceVersion) }, table) : entry.json();
  const send = (type: WatchEventType, entry: StoredEntry) => response.write(encodeWatchEvent(type, encode(entry)));
  if (backlog) {
    for (const change of backlog) {
      const type = eventFor(change, request);
      if (type) send(type, change.entry);
    }
  } else {
    const { entries, from, to } = store.range(request.resource.type, request.resource.namespace);
    for (let i = from; i < to; i++) {
      const entry = entries[i] as StoredEntry;
      if (selects(request, entry)) send('ADDED', entry);
    }
  }

  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = store.subscribe((change) => {
    const type = eventFor(change, request);
    if (type) send(type, change.entry);
  });
  const stop = () => {
    unsubscribe();
    clearTimeout(timer);
  };
  const end = () => {
    stop();
    response.end();
  };
  const timeoutSeconds = Number(request.query.get('timeoutSeconds') ?? 0);
  if (timeoutSeconds > 0) timer = setTimeout(end, timeoutSeconds * 1000);
  response.on('close', stop);
  return { end };
}

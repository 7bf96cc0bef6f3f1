// Every JSON body the test cluster sends is built here. Objects are serialised once, when written, to
// UTF-8 buffers; a list page is those buffers in order, between its head and its end, without parsing or
// stringifying any object and without copying them into one buffer: it is written to the socket part by
// part (as a real API server streams a list), so serving a page allocates next to nothing (a 3 MB copy per
// page kept the server's garbage collector busy, and its pauses showed up as API latency).
import { groupVersion, type ResourceType } from './resources.js';
import { tableCells, tableColumns, type IncludeObject } from './tables.js';
import type { RawObject } from './types.js';

/** Per type: `{"kind":"Pod","apiVersion":"v1"`, the start of every full object of the type. */
const heads = new Map<ResourceType, Buffer>();
function headOf(type: ResourceType): Buffer {
  let head = heads.get(type);
  if (!head) heads.set(type, (head = Buffer.from(`{"kind":${JSON.stringify(type.kind)},"apiVersion":${JSON.stringify(groupVersion(type))}`)));
  return head;
}

const COMMA = Buffer.from(',');
const CLOSE_BRACE = Buffer.from('}');
const LIST_END = Buffer.from(']}');

/**
 * The object as a list item, the form the store keeps: built-in types leave out kind/apiVersion (as a
 * real server's lists do), custom resources keep them. `object` itself is not changed.
 */
export function encodeItem(type: ResourceType, object: RawObject): Buffer {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  const body = JSON.stringify(rest);
  if (!type.custom) return Buffer.from(body);
  return Buffer.from(body === '{}' ? `${headOf(type).toString()}}` : `${headOf(type).toString()},${body.slice(1)}`);
}

/** The object as GET returns it (kind and apiVersion first), from its list item form. */
export function objectJson(type: ResourceType, item: Buffer): Buffer {
  if (type.custom) return item;
  if (item.length <= 2) return Buffer.concat([headOf(type), CLOSE_BRACE]);
  return Buffer.concat([headOf(type), COMMA, item.subarray(1)]);
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A body sent in parts, in order (a list page: its head, the stored items and commas, its end). */
export type BodyParts = readonly Buffer[];

/** A list body: the items' stored bytes, in parts (not copied). */
export function encodeList(type: ResourceType, items: readonly { readonly item: Buffer }[], meta: ListMeta): BodyParts {
  const parts: Buffer[] = [
    Buffer.from(`{"kind":${JSON.stringify(`${type.kind}List`)},"apiVersion":${JSON.stringify(groupVersion(type))},"metadata":${JSON.stringify(meta)},"items":[`),
  ];
  for (let i = 0; i < items.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push((items[i] as { item: Buffer }).item);
  }
  parts.push(LIST_END);
  return parts;
}

/** What a Table row needs of a stored object. */
export interface TableSource {
  /** A fresh parse of the object. */
  readonly object: RawObject;
  json(): Buffer;
}

/**
 * A meta.k8s.io/v1 Table of objects (kubectl get's human-readable output). Each row carries the object,
 * its metadata only (PartialObjectMetadata, the default) or nothing, as `includeObject` asks. Rows parse
 * their object (for the cells), so Tables cost more than lists.
 */
export function encodeTable(type: ResourceType, rows: readonly TableSource[], meta: ListMeta, includeObject: IncludeObject): string {
  const now = Date.now();
  const encodedRows = rows.map((row) => {
    const object = row.object;
    const cells = JSON.stringify(tableCells(type.kind, object, now));
    if (includeObject === 'None') return `{"cells":${cells}}`;
    const embedded =
      includeObject === 'Object'
        ? row.json().toString()
        : `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(object.metadata)}}`;
    return `{"cells":${cells},"object":${embedded}}`;
  });
  return (
    `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(meta)},` +
    `"columnDefinitions":${JSON.stringify(tableColumns(type.kind))},"rows":[${encodedRows.join(',')}]}`
  );
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';

/** One line of a watch stream. */
export function encodeWatchEvent(type: WatchEventType, objectJson: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{"type":"${type}","object":`), typeof objectJson === 'string' ? Buffer.from(objectJson) : objectJson, Buffer.from('}\n')]);
}

export const encodeJson = (value: unknown): string => JSON.stringify(value);

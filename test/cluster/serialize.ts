// Every JSON body the test cluster sends is built here. Objects are serialised once, when written,
// and lists are assembled from those strings.
import { groupVersion, type ResourceType } from './resources.js';
import { tableCells, tableColumns, type IncludeObject } from './tables.js';
import type { RawObject } from './types.js';

export interface EncodedObject {
  /** The object as GET returns it (kind and apiVersion first). */
  json: string;
  /** The object as a list item: built-in types leave out kind/apiVersion, custom resources keep them. */
  itemJson: string;
}

export function encodeObject(type: ResourceType, object: RawObject): EncodedObject {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  const body = JSON.stringify(rest);
  const head = `{"kind":${JSON.stringify(type.kind)},"apiVersion":${JSON.stringify(groupVersion(type))}`;
  const json = body === '{}' ? `${head}}` : `${head},${body.slice(1)}`;
  return { json, itemJson: type.custom ? json : body };
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export function encodeList(type: ResourceType, items: readonly EncodedObject[], meta: ListMeta): string {
  return (
    `{"kind":${JSON.stringify(`${type.kind}List`)},"apiVersion":${JSON.stringify(groupVersion(type))},` +
    `"metadata":${JSON.stringify(meta)},"items":[${items.map((i) => i.itemJson).join(',')}]}`
  );
}

/**
 * A meta.k8s.io/v1 Table of objects (kubectl get's human-readable output). Each row carries the object,
 * its metadata only (PartialObjectMetadata, the default) or nothing, as `includeObject` asks.
 */
export function encodeTable(
  type: ResourceType,
  rows: readonly { object: RawObject; encoded: EncodedObject }[],
  meta: ListMeta,
  includeObject: IncludeObject,
): string {
  const now = Date.now();
  const encodedRows = rows.map(({ object, encoded }) => {
    const cells = JSON.stringify(tableCells(type.kind, object, now));
    if (includeObject === 'None') return `{"cells":${cells}}`;
    const embedded =
      includeObject === 'Object'
        ? encoded.json
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
export function encodeWatchEvent(type: WatchEventType, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

export const encodeJson = (value: unknown): string => JSON.stringify(value);

// Splits a request into what the API server's RequestInfoFactory finds: resource type, namespace,
// name, subresource and the Kubernetes verb.
import { typeForPath, type ResourceType, type Verb } from './resources.js';

export interface ResourceRequest {
  type: ResourceType;
  /** The namespace from the path; for `namespaces/<name>` the namespace's own name (as RBAC sees it). */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface RequestInfo {
  verb: Verb | 'deletecollection';
  /** Set for resource requests of a type the cluster serves. */
  resource?: ResourceRequest;
  /** A resource path whose type the cluster does not serve. */
  unknownResource?: boolean;
}

/** Namespace subresources that are not resources of their own (RequestInfoFactory's list). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function resourceVerb(method: string, hasName: boolean, watch: boolean): RequestInfo['verb'] {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection';
    default:
      return watch ? 'watch' : hasName ? 'get' : 'list';
  }
}

export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const watch = ['1', 'true'].includes(query.get('watch') ?? '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, version, rest] = ['', parts[1] as string, parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1] as string, parts[2] as string, parts.slice(3)];
  else return { verb: method === 'GET' || method === 'HEAD' ? 'get' : resourceVerb(method, true, false) };

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2] as string)) rest = rest.slice(2);
  }
  const [plural = '', name, subresource] = rest;
  const verb = resourceVerb(method, name !== undefined, watch);
  const type = typeForPath(group, version, plural);
  if (!type || rest.length > 3) return { verb, unknownResource: true };
  return { verb, resource: { type, namespace, name, subresource } };
}

// Legacy (non-aggregated) discovery documents. kubectl asks for aggregated discovery first and falls
// back to these when the answer is plain application/json.
import { apiGroups, groupVersion, RESOURCE_TYPES, RESOURCE_VERBS, type ResourceType } from './resources.js';

/** The Kubernetes version the test cluster claims (kubectl v1.32 is the client it is tested with). */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
  gitTreeState: 'clean',
  buildDate: '2025-04-22T16:02:27Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function groupDocument(name: string, version: string) {
  const gv = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [gv], preferredVersion: gv };
}

function resourceEntries(type: ResourceType) {
  const main = {
    name: type.name,
    singularName: type.singularName,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: RESOURCE_VERBS,
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories ? { categories: type.categories } : {}),
  };
  if (!type.hasStatus) return [main];
  return [main, { name: `${type.name}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: ['get', 'patch', 'update'] }];
}

/**
 * The discovery document for a path (`/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`),
 * or undefined when the path is not a discovery path.
 */
export function discoveryDocument(path: string, serverAddress: string): object | undefined {
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }
  if (path === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups().map((g) => groupDocument(g.name, g.version)) };
  }
  const match = /^\/(?:api\/(v1)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
  if (!match) return undefined;
  const [, coreVersion, group = '', version] = match;
  if (group && !version) {
    const known = apiGroups().find((g) => g.name === group);
    return known && { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(known.name, known.version) };
  }
  const wanted = coreVersion ?? `${group}/${version}`;
  const types = RESOURCE_TYPES.filter((t) => groupVersion(t) === wanted);
  if (types.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: wanted, resources: types.flatMap(resourceEntries) };
}

const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** What real servers answer with: Go's mime parser rejects the '@' of the requested type. */
const OPENAPI_V2_PROTOBUF_RESPONSE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/**
 * An OpenAPI v2 document without definitions. kubectl apply's client-side validation needs one (it asks
 * for protobuf, where an empty message is zero bytes) and then skips types it has no schema for.
 * /openapi/v3 stays a 404, after which kubectl falls back to v2.
 */
export function openApiV2(accept: string): { contentType: string; body: string } {
  if (accept.includes(OPENAPI_V2_PROTOBUF)) return { contentType: OPENAPI_V2_PROTOBUF_RESPONSE, body: '' };
  return {
    contentType: 'application/json',
    body: JSON.stringify({ swagger: '2.0', info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion }, paths: {}, definitions: {} }),
  };
}

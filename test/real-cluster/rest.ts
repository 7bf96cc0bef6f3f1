// A small JSON client for the real API server (the harness's own writes: loading state, RBAC,
// tokens). Not the product's client: the product is what the tests exercise.
import { request } from 'node:https';

export type RawObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RestResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/** group/version and plural of the kinds the harness writes. */
const RESOURCES: Record<string, { apiVersion: string; plural: string; namespaced: boolean }> = {
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  Node: { apiVersion: 'v1', plural: 'nodes', namespaced: false },
  ConfigMap: { apiVersion: 'v1', plural: 'configmaps', namespaced: true },
  Pod: { apiVersion: 'v1', plural: 'pods', namespaced: true },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', namespaced: true },
  ReplicaSet: { apiVersion: 'apps/v1', plural: 'replicasets', namespaced: true },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets', namespaced: true },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets', namespaced: true },
  ControllerRevision: { apiVersion: 'apps/v1', plural: 'controllerrevisions', namespaced: true },
  Job: { apiVersion: 'batch/v1', plural: 'jobs', namespaced: true },
  CronJob: { apiVersion: 'batch/v1', plural: 'cronjobs', namespaced: true },
  MutatingWebhookConfiguration: { apiVersion: 'admissionregistration.k8s.io/v1', plural: 'mutatingwebhookconfigurations', namespaced: false },
  ClusterRole: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  Role: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  CustomResourceDefinition: { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', namespaced: false },
  ProxyConfig: { apiVersion: 'networking.istio.io/v1beta1', plural: 'proxyconfigs', namespaced: true },
  Service: { apiVersion: 'v1', plural: 'services', namespaced: true },
  Gateway: { apiVersion: 'gateway.networking.k8s.io/v1', plural: 'gateways', namespaced: true },
  AuthorizationPolicy: { apiVersion: 'security.istio.io/v1', plural: 'authorizationpolicies', namespaced: true },
};

export function knownKind(kind: string): boolean {
  return kind in RESOURCES;
}

/** The collection path of a kind (in a namespace for namespaced kinds). */
export function collectionPath(kind: string, namespace?: string, apiVersion?: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new Error(`the real-cluster loader does not know kind ${kind}`);
  const gv = apiVersion ?? r.apiVersion;
  const prefix = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
  return r.namespaced ? `${prefix}/namespaces/${namespace ?? 'default'}/${r.plural}` : `${prefix}/${r.plural}`;
}

export function objectPath(object: RawObject): string {
  return `${collectionPath(object.kind, object.metadata?.namespace, object.apiVersion)}/${object.metadata.name}`;
}

export class KubeRest {
  constructor(
    readonly server: string,
    private readonly ca: string,
    private readonly token: string,
  ) {}

  raw(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RestResponse> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            'user-agent': 'kubectl-inject-real-cluster-harness',
            ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = undefined;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.end(payload);
    });
  }

  private async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<RawObject> {
    const r = await this.raw(method, path, body, contentType);
    if (r.status < 200 || r.status > 299) {
      const error = new Error(`${method} ${path}: ${r.status} ${r.body?.message ?? r.text.slice(0, 300)}`) as Error & { status: number };
      error.status = r.status;
      throw error;
    }
    return r.body as RawObject;
  }

  get(path: string): Promise<RawObject> {
    return this.ok('GET', path);
  }

  create(object: RawObject): Promise<RawObject> {
    return this.ok('POST', collectionPath(object.kind, object.metadata?.namespace, object.apiVersion), object);
  }

  replace(object: RawObject, subresource?: string): Promise<RawObject> {
    return this.ok('PUT', objectPath(object) + (subresource ? `/${subresource}` : ''), object);
  }

  mergePatch(object: RawObject, patch: unknown, subresource?: string): Promise<RawObject> {
    return this.ok('PATCH', objectPath(object) + (subresource ? `/${subresource}` : ''), patch, 'application/merge-patch+json');
  }

  post(path: string, body: unknown): Promise<RawObject> {
    return this.ok('POST', path, body);
  }

  delete(path: string): Promise<RawObject> {
    return this.ok('DELETE', path);
  }

  async list(kind: string, namespace?: string): Promise<RawObject[]> {
    const r = RESOURCES[kind]!;
    const gv = r.apiVersion;
    const prefix = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
    const path = namespace ? `${prefix}/namespaces/${namespace}/${r.plural}` : `${prefix}/${r.plural}`;
    const body = await this.get(path);
    return (body.items ?? []).map((item: RawObject) => ({ apiVersion: gv, kind, ...item }));
  }
}

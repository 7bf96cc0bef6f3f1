// The admission webhook server the real API server calls (TLS, certificate from the generated CA).
// Every webhook of a loaded MutatingWebhookConfiguration points here with its configuration and
// webhook name in the URL path (then the original service path), so the server knows which webhook
// the API server called and records it. It injects the way the named revision's istiod would: that
// revision's injector policy and templates, rendered with the project's engine (SidecarInjector.injectAs);
// it never decides which webhooks are called: the API server does. It also serves /assign-node, the
// stand-in for a scheduler: new pods are bound to one of the fake nodes kwok runs.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SidecarInjector, INJECTION_INPUT_KINDS } from '../cluster/controllers/webhook.js';
import type { TestCertificates } from '../cluster/certs.js';
import type { RawObject } from './rest.js';

export const ASSIGN_NODE_PATH = '/assign-node';
const HOOK_PREFIX = '/hook/';

/** One call of an injection (or other) webhook by the API server. */
export interface WebhookCall {
  configuration: string;
  webhook: string;
  /** The webhook's original service path (e.g. /inject). */
  path: string;
  operation: string;
  dryRun: boolean;
  namespace: string;
  /** metadata.name, or metadata.generateName when the server assigns the name. */
  name: string;
  /** The pod's labels as this webhook received them (earlier webhooks' changes included). */
  labels: Record<string, string>;
  /** What the webhook did: the revision injected, 'declined' (its injector's policy said no), 'refused', or 'not-injection'. */
  outcome: string;
}

/** Return a message to deny the admission request, or undefined to let it through. */
export type RefusalRule = (call: WebhookCall, pod: RawObject) => string | undefined;

export interface WebhookServer {
  port: number;
  /** The URL that replaces a webhook's clientConfig. */
  urlFor(configuration: string, webhook: string, path: string | undefined): string;
  calls: WebhookCall[];
  clearCalls(): void;
  /** The injection inputs: original (service-based) webhook configurations, namespaces, injector ConfigMaps, ProxyConfigs. */
  setInput(object: RawObject): void;
  removeInput(kind: string, namespace: string | undefined, name: string): void;
  /** Deny pods for which `rule` returns a message; returns a function that lifts the rule. */
  refuse(rule: RefusalRule): () => void;
  /** While on, injection webhooks answer "allowed" without a patch (and record nothing): for loading injected pods. */
  setPassThrough(on: boolean): void;
  close(): Promise<void>;
}

export interface WebhookServerOptions {
  certificates: TestCertificates;
  /** Names of the fake nodes new pods are bound to (round robin), unless a DaemonSet pins one. */
  nodes: () => string[];
  nativeSidecars?: boolean;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const inputs = new Map<string, RawObject>();
  const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;
  const store = { list: (kind: string) => [...inputs.values()].filter((o) => o.kind === kind).map((o) => structuredClone(o)) };
  const injector = new SidecarInjector(store, { nativeSidecars: options.nativeSidecars ?? false });
  const calls: WebhookCall[] = [];
  const refusals = new Set<RefusalRule>();
  let next = 0;
  let passThrough = false;

  const review = (body: RawObject): RawObject => {
    const request = body.request as RawObject;
    const url: string = body.__path;
    const response: RawObject = { uid: request.uid, allowed: true };
    const pod = structuredClone(request.object ?? {}) as RawObject;
    pod.metadata ??= {};
    pod.metadata.namespace = request.namespace;
    pod.spec ??= {};

    if (url === ASSIGN_NODE_PATH) {
      if (request.kind?.kind === 'Pod' && request.operation === 'CREATE' && !pod.spec.nodeName) {
        const pinned = pinnedNode(pod);
        const nodes = options.nodes();
        const node = pinned ?? nodes[next++ % Math.max(1, nodes.length)];
        if (node) patch(response, [{ op: 'add', path: '/spec/nodeName', value: node }]);
      }
      return response;
    }

    if (passThrough) return response;
    const [configuration, webhook, ...rest] = url.slice(HOOK_PREFIX.length).split('/');
    const call: WebhookCall = {
      configuration: decodeURIComponent(configuration ?? ''),
      webhook: decodeURIComponent(webhook ?? ''),
      path: `/${rest.join('/')}`,
      operation: request.operation,
      dryRun: request.dryRun === true,
      namespace: request.namespace ?? '',
      name: pod.metadata.name || pod.metadata.generateName || '',
      labels: { ...(pod.metadata.labels ?? {}) },
      outcome: 'not-injection',
    };
    calls.push(call);
    for (const rule of refusals) {
      const message = rule(call, pod);
      if (message !== undefined) {
        call.outcome = 'refused';
        return { uid: request.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } };
      }
    }
    if (request.kind?.kind !== 'Pod' || request.operation !== 'CREATE') return response;
    const before = JSON.stringify({ metadata: pod.metadata, spec: pod.spec });
    const result = injector.injectAs(pod, call.configuration, call.webhook);
    if (!result) return response;
    call.outcome = result.decision.inject ? (result.decision.revision ?? 'declined') : 'declined';
    if (JSON.stringify({ metadata: pod.metadata, spec: pod.spec }) !== before) {
      delete pod.metadata.namespace;
      if (request.object?.metadata?.namespace) pod.metadata.namespace = request.object.metadata.namespace;
      patch(response, [
        { op: 'replace', path: '/metadata', value: pod.metadata },
        { op: 'replace', path: '/spec', value: pod.spec },
      ]);
    }
    return response;
  };

  const server: Server = createServer({ cert: options.certificates.cert, key: options.certificates.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let answer: RawObject;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RawObject;
        body.__path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
        answer = { apiVersion: body.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response: review(body) };
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`bad admission review: ${(error as Error).message}`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    urlFor: (configuration, webhook, path) =>
      `https://127.0.0.1:${port}${HOOK_PREFIX}${encodeURIComponent(configuration)}/${encodeURIComponent(webhook)}${path && path.startsWith('/') ? path : `/${path ?? ''}`}`,
    calls,
    clearCalls: () => {
      calls.length = 0;
    },
    setInput: (object) => {
      if (!INJECTION_INPUT_KINDS.has(object.kind)) return;
      inputs.set(key(object.kind, object.metadata?.namespace, object.metadata.name), structuredClone(object));
      injector.invalidate();
    },
    removeInput: (kind, namespace, name) => {
      inputs.delete(key(kind, namespace, name));
      injector.invalidate();
    },
    refuse: (rule) => {
      refusals.add(rule);
      return () => refusals.delete(rule);
    },
    setPassThrough: (on) => {
      passThrough = on;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function patch(response: RawObject, operations: RawObject[]): void {
  response.patchType = 'JSONPatch';
  response.patch = Buffer.from(JSON.stringify(operations)).toString('base64');
}

/** A DaemonSet pod's node: its required node affinity on metadata.name. */
function pinnedNode(pod: RawObject): string | undefined {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const field of term.matchFields ?? []) {
      if (field.key === 'metadata.name' && field.operator === 'In' && field.values?.length === 1) return field.values[0];
    }
  }
  return undefined;
}

// Plain HTTP(S) requests to a test cluster, for checking exact status codes, headers and bodies.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TestCluster } from './server.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequestOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Send no Authorization header even when the cluster has a token. */
  anonymous?: boolean;
  /** Present this client certificate (PEM cert and key) in the TLS handshake. */
  clientCertificate?: { cert: string; key: string };
}

/** Sends one request; rejects when the connection breaks before the response is complete. */
export function rawRequest(cluster: TestCluster, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const url = new URL(path, cluster.url);
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    ...(cluster.token !== undefined && !options.anonymous ? { Authorization: `Bearer ${cluster.token}` } : {}),
    ...(body !== undefined ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
    ...options.headers,
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const tls = { ...(cluster.caCert ? { ca: cluster.caCert } : {}), ...(options.clientCertificate ? { cert: options.clientCertificate.cert, key: options.clientCertificate.key } : {}) };
    const req = send(url, { method: options.method ?? 'GET', headers, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const json = (response: RawResponse): Record<string, unknown> => JSON.parse(response.body) as Record<string, unknown>;

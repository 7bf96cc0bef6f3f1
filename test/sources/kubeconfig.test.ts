import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import yaml from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeconfig, contextNames } from '../../src/cluster/kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'kinject-kcfg-'));
const saved = process.env.KUBECONFIG;
afterEach(() => {
  if (saved === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = saved;
});

function write(name: string, doc: unknown): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof doc === 'string' ? doc : yaml.dump(doc));
  return path;
}

const config = (current: string, clusters: [string, Record<string, unknown>][], users: [string, Record<string, unknown>][], contexts: [string, Record<string, unknown>][]) => ({
  apiVersion: 'v1',
  kind: 'Config',
  'current-context': current,
  clusters: clusters.map(([name, cluster]) => ({ name, cluster })),
  users: users.map(([name, user]) => ({ name, user })),
  contexts: contexts.map(([name, context]) => ({ name, context })),
});

describe('loadKubeconfig', () => {
  it('merges $KUBECONFIG files like kubectl: the first file wins for names and current-context', () => {
    const a = write('a.yaml', config('ctx-a', [['c', { server: 'https://a.example:6443' }]], [['u', { token: 'token-a' }]], [['ctx-a', { cluster: 'c', user: 'u', namespace: 'team-a' }]]));
    const b = write('b.yaml', config('ctx-b', [['c', { server: 'https://b.example:6443' }], ['cb', { server: 'https://b2.example' }]], [['u', { token: 'token-b' }]], [['ctx-b', { cluster: 'cb', user: 'u' }], ['ctx-a', { cluster: 'cb', user: 'u' }]]));
    process.env.KUBECONFIG = [a, join(dir, 'missing.yaml'), b].join(delimiter);
    const ctx = loadKubeconfig({});
    expect(ctx).toMatchObject({ contextName: 'ctx-a', namespace: 'team-a', server: 'https://a.example:6443', token: 'token-a', needsClientNode: false });
    expect(loadKubeconfig({ context: 'ctx-b' })).toMatchObject({ server: 'https://b2.example', token: 'token-a', namespace: 'default' });
    expect(contextNames({})).toEqual(['ctx-a', 'ctx-b']);
  });

  it('resolves relative file references against the kubeconfig that holds them', () => {
    write('nested/ca.crt', 'CA-PEM');
    write('nested/token', 'file-token\n');
    const path = write('nested/config', config('x', [['c', { server: 'https://x', 'certificate-authority': 'ca.crt' }]], [['u', { tokenFile: 'token' }]], [['x', { cluster: 'c', user: 'u' }]]));
    const ctx = loadKubeconfig({ kubeconfig: path });
    expect(ctx.ca?.toString()).toBe('CA-PEM');
    expect(ctx.token).toBe('file-token');
  });

  it('data fields win over file fields; base64 is decoded', () => {
    const path = write('data.yaml', config('x', [['c', { server: 'https://x', 'certificate-authority-data': Buffer.from('CA').toString('base64'), 'certificate-authority': '/nope' }]], [['u', { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') }]], [['x', { cluster: 'c', user: 'u' }]]));
    const ctx = loadKubeconfig({ kubeconfig: path });
    expect([ctx.ca?.toString(), ctx.cert?.toString(), ctx.key?.toString()]).toEqual(['CA', 'CERT', 'KEY']);
  });

  it('exec plugins, auth providers and proxies are left to client-node', () => {
    for (const [user, cluster] of [
      [{ exec: { command: 'aws', apiVersion: 'client.authentication.k8s.io/v1beta1' } }, {}],
      [{ 'auth-provider': { name: 'oidc' } }, {}],
      [{}, { 'proxy-url': 'http://proxy:3128' }],
    ] as const) {
      const path = write('special.yaml', config('x', [['c', { server: 'https://x', ...cluster }]], [['u', user]], [['x', { cluster: 'c', user: 'u' }]]));
      expect(loadKubeconfig({ kubeconfig: path }).needsClientNode).toBe(true);
    }
  });

  it.each([
    ['a missing file', () => loadKubeconfig({ kubeconfig: join(dir, 'nope') }), /^kubeconfig .*nope: no such file$/],
    ['malformed YAML', () => loadKubeconfig({ kubeconfig: write('bad.yaml', 'clusters: [') }), /^kubeconfig .*bad\.yaml is malformed: /],
    ['not a map', () => loadKubeconfig({ kubeconfig: write('list.yaml', '- a\n- b\n') }), /is malformed: not a YAML map$/],
    ['entries without names', () => loadKubeconfig({ kubeconfig: write('noname.yaml', 'clusters: [{cluster: {}}]\n') }), /clusters must be a list of named entries/],
    ['an unknown context', () => loadKubeconfig({ kubeconfig: write('ok.yaml', config('x', [['c', { server: 'https://x' }]], [], [['x', { cluster: 'c' }]])), context: 'nope' }), /^context "nope" does not exist in the kubeconfig$/],
    ['a context naming a missing cluster', () => loadKubeconfig({ kubeconfig: write('dangling.yaml', config('x', [], [], [['x', { cluster: 'gone' }]])) }), /refers to cluster "gone"/],
    ['no current context', () => loadKubeconfig({ kubeconfig: write('nocurrent.yaml', config('', [['c', { server: 'https://x' }]], [], [['x', { cluster: 'c' }]])) }), /no current-context/],
  ])('%s is one clear error', (_name, load, message) => {
    expect(load).toThrow(message);
  });
});

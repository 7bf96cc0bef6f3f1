// Loading a kubeconfig the way kubectl does: --kubeconfig, else every file of $KUBECONFIG merged
// (first file wins for each name and for current-context), else ~/.kube/config, else in-cluster.
// Errors are one clear line.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig as KubeConfigType } from '@kubernetes/client-node';
import { UserError } from './source.js';

export interface KubeconfigOptions {
  kubeconfig?: string;
  context?: string;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export async function loadKubeconfig(opts: KubeconfigOptions): Promise<{ kc: KubeConfigType; namespace: string; contextName: string }> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const files = opts.kubeconfig
    ? [opts.kubeconfig]
    : (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length === 0 && existsSync(join(homedir(), '.kube', 'config'))) files.push(join(homedir(), '.kube', 'config'));

  const kc = new KubeConfig();
  if (files.length === 0) {
    if (process.env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) {
      kc.loadFromCluster();
      return { kc, namespace: kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default', contextName: kc.getCurrentContext() };
    }
    throw new UserError('no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or use --snapshot/--demo');
  }

  const merged = { clusters: [] as unknown[], users: [] as unknown[], contexts: [] as unknown[], currentContext: '' };
  const seen = { clusters: new Set<string>(), users: new Set<string>(), contexts: new Set<string>() };
  for (const file of files) {
    if (!existsSync(file)) {
      if (opts.kubeconfig) throw new UserError(`kubeconfig ${file}: no such file`);
      continue; // kubectl ignores missing files listed in $KUBECONFIG
    }
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (err) {
      throw new UserError(`kubeconfig ${file} is malformed: ${firstLine(err)}`);
    }
    for (const kind of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of one[kind] as { name: string }[]) {
        if (seen[kind].has(entry.name)) continue;
        seen[kind].add(entry.name);
        merged[kind].push(entry);
      }
    }
    if (!merged.currentContext && one.currentContext) merged.currentContext = one.currentContext;
  }
  try {
    kc.loadFromOptions(merged);
  } catch (err) {
    throw new UserError(`kubeconfig is malformed: ${firstLine(err)}`);
  }
  const contextName = opts.context ?? kc.getCurrentContext();
  if (!contextName) throw new UserError('kubeconfig has no current-context: pass --context NAME');
  const context = kc.getContextObject(contextName);
  if (!context) throw new UserError(`context "${contextName}" does not exist in the kubeconfig`);
  kc.setCurrentContext(contextName);
  if (!kc.getCluster(context.cluster)) throw new UserError(`context "${contextName}" refers to cluster "${context.cluster}", which the kubeconfig does not define`);
  if (context.user && !kc.getUser(context.user)) throw new UserError(`context "${contextName}" refers to user "${context.user}", which the kubeconfig does not define`);
  return { kc, namespace: context.namespace || 'default', contextName };
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').trim();
}

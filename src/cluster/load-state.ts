// The whole state of a scope, pods included (rollout plans and re-audits need every pod at once).
import type { ClusterState } from '../engine/types.js';
import { readScope } from './read-scope.js';
import type { BaseState, ClusterSource, Scope } from './source.js';

export async function loadState(source: ClusterSource, scope: Scope, onProgress?: (n: number) => void): Promise<ClusterState & Pick<BaseState, 'partial' | 'warnings'>> {
  const { base, pods: pages } = await readScope(source, scope, { onProgress });
  const pods = [];
  for await (const page of pages) pods.push(...page);
  const gaps = source.podWarnings ?? [];
  return gaps.length ? { ...base, pods, partial: true, warnings: [...base.warnings, ...gaps] } : { ...base, pods };
}

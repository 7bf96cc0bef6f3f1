import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { buildClusterContext } from '../engine/cluster-context.js';
import { explainPod, explainTemplate, type ExplainTarget, type InjectionExplanation } from '../engine/explanation.js';
import type { PodRecord, WorkloadKind } from '../engine/types.js';
import { podRecord, templateRecord, type RawObject } from '../cluster/records.js';
import { UserError, type ClusterSource } from '../cluster/source.js';
import { renderExplainText } from '../render/explain-text.js';
import { renderStructured } from '../render/structured.js';
import { BaseCommand, namespaceFlag, openSource, sourceFlags } from '../cli/base-command.js';
import { colorEnabled, palette, warn } from '../cli/terminal.js';
import { TARGET_KINDS } from '../cli/target-kinds.js';
import { compileSelector, selectorQuery } from '../engine/label-selector.js';


export function parseTarget(text: string): { kind: ExplainTarget['kind']; name: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { kind: 'Pod', name: text };
  const kindText = text.slice(0, slash).toLowerCase().replace(/\.(apps|v1|apps\/v1)$/, '');
  const name = text.slice(slash + 1);
  const kind = TARGET_KINDS[kindText];
  if (!kind) throw new UserError(`unsupported kind "${text.slice(0, slash)}": explain takes pod/NAME, deployment/NAME, statefulset/NAME, daemonset/NAME or -f MANIFEST`, 2);
  if (!name) throw new UserError(`missing name in "${text}"`, 2);
  return { kind, name };
}

const MANIFEST_KINDS: ReadonlySet<string> = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

export default class Explain extends BaseCommand {
  static override summary = 'Explain the injection decision for one pod or workload, step by step, and how to fix its drift';
  static override examples = [
    '<%= config.bin %> explain pod/web-7d9c-abcde -n demo',
    '<%= config.bin %> explain deployment/web -n demo --demo',
    '<%= config.bin %> explain -f deploy.yaml -n staging',
    '<%= config.bin %> explain pod/web-7d9c-abcde -n demo -o json',
  ];

  static override args = {
    target: Args.string({ description: 'pod/NAME, deployment/NAME, statefulset/NAME, daemonset/NAME, or a pod NAME', required: false }),
  };

  static override flags = {
    namespace: namespaceFlag,
    filename: Flags.string({ char: 'f', description: 'explain the objects of a manifest not applied yet (- for stdin)' }),
    output: Flags.string({ char: 'o', description: 'output format', options: ['text', 'json', 'yaml'], default: 'text' }),
    'exit-code': Flags.boolean({ description: 'exit 3 when drift or error findings are found' }),
    ...sourceFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Explain);
    if (!args.target && !flags.filename) throw new UserError('explain needs a target (pod/NAME, deployment/NAME, ...) or -f MANIFEST', 2);
    if (args.target && flags.filename) throw new UserError('give either a target or -f MANIFEST, not both', 2);
    const target = args.target ? parseTarget(args.target) : null;
    const manifest = flags.filename ? await readManifest(flags.filename) : null;

    this.source = await openSource(flags);
    const source = this.source;
    const namespace = flags.namespace ?? source.defaultNamespace();
    const explanations: InjectionExplanation[] = [];
    if (target) explanations.push(await explainTarget(source, namespace, target));
    else for (const obj of manifest ?? []) explanations.push(await explainManifestObject(source, obj, flags.namespace ?? namespace));

    const format = flags.output;
    const value = explanations.length === 1 ? explanations[0] : { kind: 'List', apiVersion: 'v1', items: explanations };
    if (format === 'json' || format === 'yaml') process.stdout.write(renderStructured(value, format));
    else process.stdout.write(explanations.map((e) => renderExplainText(e, palette(colorEnabled()))).join('\n'));
    const problems = explanations.some((e) => e.drift.length > 0 || e.findings.some((f) => f.severity === 'error'));
    if (flags['exit-code'] && problems) this.exit(3);
  }
}

async function contextFor(source: ClusterSource, namespace: string, ownersOf?: PodRecord) {
  const base = await source.loadBase({ namespace, labelSelector: null }, ownersOf ? { ownersOf } : {});
  for (const w of base.warnings) warn(w);
  return buildClusterContext({ ...base, pods: [] });
}

async function explainTarget(source: ClusterSource, namespace: string, target: { kind: ExplainTarget['kind']; name: string }): Promise<InjectionExplanation> {
  if (target.kind === 'Pod') {
    const pod = await source.getPod(namespace, target.name);
    if (!pod) throw new UserError(`pod "${target.name}" not found in namespace "${namespace}"`);
    return explainPod(await contextFor(source, namespace, pod), pod);
  }
  const workload = await source.getWorkload(target.kind as WorkloadKind, namespace, target.name);
  if (!workload) throw new UserError(`${target.kind.toLowerCase()} "${target.name}" not found in namespace "${namespace}"`);
  const ctx = await contextFor(source, namespace);
  const pods: PodRecord[] = [];
  // Only the pods the workload's selector picks, then only those it owns.
  const labelSelector = workload.selector ? selectorQuery(compileSelector(workload.selector)) : null;
  for await (const page of source.pods({ namespace, labelSelector })) {
    for (const p of page) {
      const owner = ctx.workloads.ownerOf(p);
      if (owner && owner.kind === workload.kind && owner.name === workload.name) pods.push(p);
    }
  }
  return explainTemplate(ctx, { kind: workload.kind, namespace, name: workload.name }, workload.template, pods);
}

async function readManifest(path: string): Promise<RawObject[]> {
  const { readSnapshotObjects } = await import('../cluster/snapshot-source.js');
  const objects = readSnapshotObjects(path).filter((o) => typeof o.kind === 'string' && MANIFEST_KINDS.has(o.kind));
  if (objects.length === 0) throw new UserError(`manifest ${path}: no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob in it`);
  return objects;
}

async function explainManifestObject(source: ClusterSource, obj: RawObject, defaultNamespace: string): Promise<InjectionExplanation> {
  const namespace = String(obj.metadata?.namespace ?? defaultNamespace);
  const name = String(obj.metadata?.name ?? obj.metadata?.generateName ?? '<unnamed>');
  const ctx = await contextFor(source, namespace);
  const kind = obj.kind as ExplainTarget['kind'];
  const template: PodRecord =
    kind === 'Pod'
      ? { ...podRecord({ ...obj, metadata: { ...obj.metadata, namespace } }), creationTimestamp: null }
      : templateRecord(namespace, kind === ('CronJob' as string) ? obj.spec?.jobTemplate?.spec?.template : obj.spec?.template);
  const explanation = explainTemplate(ctx, { kind, namespace, name }, template);
  delete explanation.pods;
  return explanation;
}

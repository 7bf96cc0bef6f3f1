import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { buildClusterContext } from '../engine/cluster-context.js';
import { explainPod, explainTemplate, type ExplainTarget, type InjectionExplanation } from '../engine/explanation.js';
import type { PodRecord, WorkloadKind } from '../engine/types.js';
import { podRecord, templateRecord, type RawObject } from '../cluster/records.js';
import { UserError, type ClusterSource } from '../cluster/source.js';
import { renderExplainText } from '../render/explain-text.js';
import { renderStructured } from '../render/structured.js';
import type { Interfaces } from '@oclif/core';
import { allContextsFlag, BaseCommand, namespaceFlag, openSource, sourceFlags } from '../cli/base-command.js';
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
    '<%= config.bin %> explain deployment/cart -n shop --demo --all-contexts',
  ];

  static override args = {
    target: Args.string({ description: 'pod/NAME, deployment/NAME, statefulset/NAME, daemonset/NAME, or a pod NAME', required: false }),
  };

  static override flags = {
    namespace: namespaceFlag,
    filename: Flags.string({ char: 'f', description: 'explain the objects of a manifest not applied yet (- for stdin)' }),
    output: Flags.string({ char: 'o', description: 'output format', options: ['text', 'json', 'yaml'], default: 'text' }),
    'exit-code': Flags.boolean({ description: 'exit 3 when drift or error findings are found (a context that could not be read exits 1)' }),
    'all-contexts': allContextsFlag,
    ...sourceFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Explain);
    if (!args.target && !flags.filename) throw new UserError('explain needs a target (pod/NAME, deployment/NAME, ...) or -f MANIFEST', 2);
    if (args.target && flags.filename) throw new UserError('give either a target or -f MANIFEST, not both', 2);
    const target = args.target ? parseTarget(args.target) : null;
    const manifest = flags.filename ? await readManifest(flags.filename) : null;
    const { fleetContexts, singleContextFlags } = await import('../cli/fleet.js');
    const contexts = await fleetContexts(flags);
    if (contexts && contexts.length > 1) return this.runFleet(flags, contexts, target, manifest);

    this.source = await openSource(singleContextFlags(flags, contexts));
    const explanations = await explainIn(this.source, flags.namespace, target, manifest, warn);
    const format = flags.output;
    const value = explanations.length === 1 ? explanations[0] : { kind: 'List', apiVersion: 'v1', items: explanations };
    if (format === 'json' || format === 'yaml') process.stdout.write(renderStructured(value, format));
    else process.stdout.write(explanations.map((e) => renderExplainText(e, palette(colorEnabled()))).join('\n'));
    if (flags['exit-code'] && hasProblems(explanations)) this.exit(3);
  }

  /**
   * The target explained in each context that has it, read concurrently. Not found in a context is
   * reported for that context (exit 1 only when no context has it); a context that cannot be read is an
   * error for that context, the others are explained in full, and the exit is 1.
   */
  private async runFleet(flags: ExplainFlags, contexts: string[], target: ParsedTarget | null, manifest: RawObject[] | null): Promise<void> {
    const { forEachContext, openContextSource } = await import('../cli/fleet.js');
    const outcomes = await forEachContext(
      contexts,
      (context) => openContextSource(flags, context),
      async (context, source) => {
        try {
          return { explanations: await explainIn(source, flags.namespace, target, manifest, (w) => warn(`context ${context}: ${w}`)), notFound: null };
        } catch (err) {
          if (err instanceof NotFoundError) return { explanations: [], notFound: err.message };
          throw err;
        }
      },
      { debug: flags.debug },
    );
    const clusters = outcomes.map((o) => ({
      name: o.context,
      context: o.context,
      error: o.ok ? o.value.notFound : o.error,
      notFound: o.ok && o.value.notFound !== null,
      ...(target ? { explanation: o.ok ? o.value.explanations[0] ?? null : null } : { explanations: o.ok ? o.value.explanations : [] }),
    }));
    const found = outcomes.filter((o) => o.ok && o.value.notFound === null);
    const failed = outcomes.filter((o) => !o.ok);
    if (found.length === 0 && failed.length === 0) {
      throw new UserError(`${describeTarget(target!, flags.namespace)} not found in any of the contexts ${contexts.join(', ')}`);
    }
    for (const c of clusters) {
      if (c.notFound) warn(`context ${c.name}: ${c.error}`);
      else if (c.error) process.stderr.write(`error: context ${c.name}: ${c.error}\n`);
    }
    const format = flags.output;
    if (format === 'json' || format === 'yaml') {
      process.stdout.write(renderStructured({ kind: 'FleetInjectionExplanation', apiVersion: 'inject.istio-tools.dev/v1alpha1', clusters }, format));
    } else {
      const c = palette(colorEnabled());
      const sections = outcomes.map((o) => {
        const head = `==> context ${o.context} <==\n`;
        if (!o.ok) return `${head}${c.red(`error: ${o.error}`)}\n`;
        if (o.value.notFound) return `${head}not found: ${o.value.notFound}\n`;
        return head + o.value.explanations.map((e) => renderExplainText(e, c)).join('\n');
      });
      process.stdout.write(sections.join('\n'));
    }
    if (failed.length) {
      process.stderr.write(`error: ${failed.length} of ${contexts.length} contexts could not be read (${failed.map((o) => o.context).join(', ')}); the others are explained in full\n`);
      this.exit(1);
    }
    if (flags['exit-code'] && found.some((o) => o.ok && hasProblems(o.value.explanations))) this.exit(3);
  }
}

type ExplainFlags = Interfaces.InferredFlags<typeof Explain.flags>;
type ParsedTarget = { kind: ExplainTarget['kind']; name: string };

/** A target that does not exist (in one context of a fleet: reported for it, not fatal). */
class NotFoundError extends UserError {}

function describeTarget(target: ParsedTarget, namespace: string | undefined): string {
  return `${target.kind.toLowerCase()} "${target.name}"${namespace ? ` (namespace "${namespace}")` : ''}`;
}

function hasProblems(explanations: InjectionExplanation[]): boolean {
  return explanations.some((e) => e.drift.length > 0 || e.findings.some((f) => f.severity === 'error'));
}

/** The explanations of one cluster: the target, or every object of the manifest. */
async function explainIn(source: ClusterSource, namespaceFlag: string | undefined, target: ParsedTarget | null, manifest: RawObject[] | null, onWarning: (w: string) => void): Promise<InjectionExplanation[]> {
  const namespace = namespaceFlag ?? source.defaultNamespace();
  const explanations: InjectionExplanation[] = [];
  if (target) explanations.push(await explainTarget(source, namespace, target, onWarning));
  else for (const obj of manifest ?? []) explanations.push(await explainManifestObject(source, obj, namespaceFlag ?? namespace, onWarning));
  return explanations;
}

async function contextFor(source: ClusterSource, namespace: string, onWarning: (w: string) => void, ownersOf?: PodRecord) {
  const base = await source.loadBase({ namespace, labelSelector: null }, ownersOf ? { ownersOf } : {});
  for (const w of base.warnings) onWarning(w);
  return buildClusterContext({ ...base, pods: [] });
}

async function explainTarget(source: ClusterSource, namespace: string, target: ParsedTarget, onWarning: (w: string) => void): Promise<InjectionExplanation> {
  if (target.kind === 'Pod') {
    const pod = await source.getPod(namespace, target.name);
    if (!pod) throw new NotFoundError(`pod "${target.name}" not found in namespace "${namespace}"`);
    return explainPod(await contextFor(source, namespace, onWarning, pod), pod);
  }
  const workload = await source.getWorkload(target.kind as WorkloadKind, namespace, target.name);
  if (!workload) throw new NotFoundError(`${target.kind.toLowerCase()} "${target.name}" not found in namespace "${namespace}"`);
  const ctx = await contextFor(source, namespace, onWarning);
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

async function explainManifestObject(source: ClusterSource, obj: RawObject, defaultNamespace: string, onWarning: (w: string) => void): Promise<InjectionExplanation> {
  const namespace = String(obj.metadata?.namespace ?? defaultNamespace);
  const name = String(obj.metadata?.name ?? obj.metadata?.generateName ?? '<unnamed>');
  const ctx = await contextFor(source, namespace, onWarning);
  const kind = obj.kind as ExplainTarget['kind'];
  const template: PodRecord =
    kind === 'Pod'
      ? { ...podRecord({ ...obj, metadata: { ...obj.metadata, namespace } }), creationTimestamp: null }
      : templateRecord(namespace, kind === ('CronJob' as string) ? obj.spec?.jobTemplate?.spec?.template : obj.spec?.template);
  const explanation = explainTemplate(ctx, { kind, namespace, name }, template);
  delete explanation.pods;
  return explanation;
}

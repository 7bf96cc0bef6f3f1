import * as Flags from '@oclif/core/flags';
import type { LabelChange, RolloutPlan } from '../engine/rollout-plan.js';
import type { Interfaces } from '@oclif/core';
import { isWriter, UserError, type ClusterSource, type Scope } from '../cluster/source.js';
import type { ApplyResult } from '../rollout/apply-plan.js';
import type { Selection } from '../rollout/choose.js';
import { allNamespacesFlag, BaseCommand, namespaceFlag, openSource, parseDuration, sourceFlags } from '../cli/base-command.js';
import { Progress, warn } from '../cli/terminal.js';
import { renderStructured } from '../render/structured.js';

export default class Rollout extends BaseCommand {
  static override summary = 'Converge: relabel namespaces and restart the workloads whose pods drift, then verify';
  static override description =
    'Plans first (namespace label changes, then every Deployment, StatefulSet and DaemonSet whose pods would drift under the resulting labels), asks on a terminal, applies like `kubectl label` and `kubectl rollout restart`, waits for each rollout, stops at the first failure and re-audits. Safe to re-run after an interruption.';
  static override examples = [
    '<%= config.bin %> rollout -n shop --revision canary --dry-run',
    '<%= config.bin %> rollout -n shop --revision canary',
    '<%= config.bin %> rollout -A --yes --max-concurrent 3 --timeout 10m',
    '<%= config.bin %> rollout -n legacy --enable --yes -o json',
    '<%= config.bin %> rollout -n shop --revision canary --context staging,prod-eu,prod-us',
    '<%= config.bin %> rollout -n shop --to-ambient --dry-run',
    '<%= config.bin %> rollout -n shop --to-sidecar canary --yes',
  ];

  static override flags = {
    namespace: namespaceFlag,
    'all-namespaces': allNamespacesFlag,
    enable: Flags.boolean({ description: 'label the namespaces istio-injection=enabled', exclusive: ['disable', 'revision', 'to-ambient', 'to-sidecar'] }),
    disable: Flags.boolean({ description: 'label the namespaces istio-injection=disabled', exclusive: ['enable', 'revision', 'to-ambient', 'to-sidecar'] }),
    revision: Flags.string({ description: 'label the namespaces istio.io/rev=REV (and remove istio-injection)', exclusive: ['enable', 'disable', 'to-ambient', 'to-sidecar'] }),
    'to-ambient': Flags.boolean({
      description: 'migrate the namespaces to ambient: preflight (ztunnel, istio-cni, policies ztunnel cannot enforce), label istio.io/dataplane-mode=ambient (removing istio-injection and istio.io/rev), restart what still runs a sidecar, verify capture',
      exclusive: ['enable', 'disable', 'revision', 'to-sidecar'],
    }),
    'to-sidecar': Flags.string({
      description: 'migrate the namespaces back to sidecars of revision REV: label istio.io/rev=REV (istio-injection=enabled for a default revision served so), remove istio.io/dataplane-mode, restart what lacks a sidecar, verify injection',
      helpValue: 'REV',
      exclusive: ['enable', 'disable', 'revision', 'to-ambient'],
    }),
    'accept-policy-gaps': Flags.boolean({ description: 'with --to-ambient: go on although AuthorizationPolicies with L7 rules would not be enforced by ztunnel' }),
    yes: Flags.boolean({ char: 'y', description: 'apply the whole plan without asking' }),
    'dry-run': Flags.boolean({ description: 'print the plan and send no write request' }),
    'max-concurrent': Flags.integer({ description: 'rollouts in flight at once', default: 1, min: 1 }),
    timeout: Flags.string({ description: 'how long to wait for each rollout (e.g. 5m)', default: '5m' }),
    output: Flags.string({ char: 'o', description: 'output format', options: ['table', 'json'], default: 'table' }),
    ...sourceFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Rollout);
    const json = flags.output === 'json';
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    if (!flags['dry-run'] && !flags.yes && !interactive) {
      throw new UserError('rollout needs confirmation and there is no terminal: pass --yes to apply the plan, or --dry-run to only print it', 2);
    }
    parseDuration(flags.timeout, 'timeout'); // bad usage before any cluster is read
    if (flags['accept-policy-gaps'] && !flags['to-ambient']) throw new UserError('--accept-policy-gaps only goes with --to-ambient', 2);
    const { fleetContexts, singleContextFlags } = await import('../cli/fleet.js');
    const contexts = await fleetContexts(flags);
    if (contexts && contexts.length > 1) return this.runFleet(flags, contexts);

    this.source = await openSource(singleContextFlags(flags, contexts));
    const outcome = await rolloutCluster(this.source, flags);
    if (json) process.stdout.write(renderStructured(outcome.document, 'json'));
    if (outcome.state === 'interrupted') this.exit(130);
    if (outcome.state === 'failed') this.exit(1);
  }

  /**
   * Several contexts: one at a time, in the order given, each planned, shown and (on a terminal)
   * confirmed on its own; the first cluster that fails (a rollout that fails or times out, a cluster that
   * cannot be read, a refused plan) stops the run and the remaining contexts are skipped.
   */
  private async runFleet(flags: RolloutFlags, contexts: string[]): Promise<void> {
    const { errorLine, openContextSource } = await import('../cli/fleet.js');
    const json = flags.output === 'json';
    if (flags.demo && !flags['dry-run']) throw new UserError('rollout applies changes to a live cluster; with --snapshot or --demo use --dry-run');
    const done: FleetEntry[] = [];
    let stop: 'failed' | 'interrupted' | null = null;
    for (const context of contexts) {
      if (stop) {
        done.push({ name: context, context, outcome: 'skipped', message: `not started: ${stop === 'failed' ? 'an earlier context failed' : 'interrupted'}`, document: null });
        continue;
      }
      if (!json) process.stdout.write(`${done.length ? '\n' : ''}==> context ${context} <==\n`);
      let source: ClusterSource | null = null;
      try {
        source = await openContextSource(flags, context);
        const outcome = await rolloutCluster(source, flags, (w) => warn(`context ${context}: ${w}`));
        done.push({ name: context, context, outcome: outcome.state, message: outcome.message, document: outcome.document });
        if (outcome.state === 'failed' || outcome.state === 'interrupted') stop = outcome.state;
      } catch (err) {
        const interrupted = (err as Error)?.name === 'ExitPromptError';
        const message = interrupted ? 'cancelled at the prompt' : errorLine(err);
        if (!json) process.stdout.write(`${interrupted ? 'Cancelled' : 'Failed'}: ${message}\n`);
        done.push({ name: context, context, outcome: interrupted ? 'interrupted' : 'failed', message, document: null });
        stop = interrupted ? 'interrupted' : 'failed';
      } finally {
        await source?.close?.().catch(() => undefined);
      }
    }
    if (json) process.stdout.write(renderStructured({ kind: 'FleetRolloutResult', apiVersion: 'inject.istio-tools.dev/v1alpha1', clusters: done }, 'json'));
    else {
      const { renderTable } = await import('../render/plain-table.js');
      process.stdout.write(`\nContexts, in order:\n${renderTable(['CONTEXT', 'OUTCOME', 'MESSAGE'], done.map((d) => [d.name, d.outcome, d.message]))}`);
    }
    if (stop === 'failed') {
      const failed = done.find((d) => d.outcome === 'failed')!;
      process.stderr.write(`error: context ${failed.name} failed: ${failed.message}; ${done.filter((d) => d.outcome === 'skipped').length} later context(s) skipped\n`);
      this.exit(1);
    }
    if (stop === 'interrupted') this.exit(130);
  }
}

type RolloutFlags = Interfaces.InferredFlags<typeof Rollout.flags>;

/** What happened in one cluster. */
type ClusterState = 'done' | 'dry-run' | 'nothing-to-do' | 'declined' | 'failed' | 'interrupted';

interface FleetEntry {
  name: string;
  context: string;
  outcome: ClusterState | 'skipped';
  message: string;
  /** The cluster's RolloutPlan or RolloutResult document (what `-o json` prints for one cluster). */
  document: Record<string, unknown> | null;
}

interface ClusterOutcome {
  state: ClusterState;
  message: string;
  document: Record<string, unknown>;
}

/** Plan, choose, apply and re-audit one cluster; text output is written here, the JSON document returned. */
async function rolloutCluster(source: ClusterSource, flags: RolloutFlags, onWarning: (w: string) => void = warn): Promise<ClusterOutcome> {
  // Loaded here, not at start-up: other commands (and --help) do not pay for them.
  const [{ buildClusterContext }, { auditPod, withoutDetail }, { PlanError, planRollout, contextAfterLabels, templateRefusal }, { loadState }, { applyPlan }, { renderPlan, renderResult }] = await Promise.all([
    import('../engine/cluster-context.js'),
    import('../engine/pod-audit.js'),
    import('../engine/rollout-plan.js'),
    import('../cluster/load-state.js'),
    import('../rollout/apply-plan.js'),
    import('../render/rollout-table.js'),
  ]);
  const timeoutMs = parseDuration(flags.timeout, 'timeout');
  const change: LabelChange = flags['to-ambient']
    ? { kind: 'ambient' }
    : flags['to-sidecar'] !== undefined
      ? { kind: 'sidecar', revision: flags['to-sidecar'] }
      : flags.revision
    ? { kind: 'revision', revision: flags.revision }
    : flags.enable
      ? { kind: 'enable' }
      : flags.disable
        ? { kind: 'disable' }
        : { kind: 'none' };
  const json = flags.output === 'json';
  if (!flags['dry-run'] && !isWriter(source)) throw new UserError('rollout applies changes to a live cluster; with --snapshot or --demo use --dry-run');
  const namespace = flags['all-namespaces'] ? null : flags.namespace ?? source.defaultNamespace();
  const scope: Scope = { namespace, labelSelector: null };

  const progress = new Progress();
  progress.update('reading cluster state…', true);
  const state = await loadState(source, scope, (n) => progress.update(`listing pods… ${n}`));
  progress.done();
  for (const w of state.warnings) onWarning(w);
  let plan: RolloutPlan;
  try {
    plan = planRollout(state, { namespaces: namespace ? [namespace] : null, change, acceptPolicyGaps: flags['accept-policy-gaps'] });
  } catch (err) {
    if (err instanceof PlanError) throw new UserError(err.message);
    throw err;
  }

  const runnable = (w: { action: string }) => w.action === 'restart' || w.action === 'wait';
  const nothing = plan.namespaces.length === 0 && !plan.workloads.some(runnable);
  const planDocument = { kind: 'RolloutPlan', apiVersion: 'inject.istio-tools.dev/v1alpha1', dryRun: flags['dry-run'], ...plan };
  if (flags['dry-run'] || nothing) {
    if (!json) {
      process.stdout.write(renderPlan(plan));
      if (nothing) process.stdout.write('Nothing to do: no label change and no drifted workload to restart.\n');
      else process.stdout.write('Dry run: nothing was sent.\n');
    }
    return nothing
      ? { state: 'nothing-to-do', message: 'no label change and no drifted workload to restart', document: planDocument }
      : { state: 'dry-run', message: 'planned; nothing was sent', document: planDocument };
  }

  let selection: Selection | null = { namespaces: plan.namespaces, workloads: plan.workloads.filter(runnable) };
  if (!flags.yes) {
    process.stdout.write(renderPlan(plan));
    // Loaded only here: the prompt library is not needed to start up.
    const { chooseAndConfirm } = await import('../rollout/choose.js');
    selection = await chooseAndConfirm(plan);
    if (!selection) {
      process.stdout.write('Nothing was changed.\n');
      return { state: 'declined', message: 'nothing selected: nothing was changed', document: planDocument };
    }
  } else if (!json) process.stdout.write(renderPlan(plan));

  const writer = source as typeof source & Parameters<typeof applyPlan>[2];
  // The engine's view once the label changes are made: each template is checked again right before its restart.
  const afterLabels = contextAfterLabels(state, selection);
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    warn('interrupted: no new work will be started (Ctrl-C again to quit now)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let result: ApplyResult;
  let lastEvent = '';
  try {
    result = await applyPlan(selection.namespaces, selection.workloads, writer, {
      maxConcurrent: flags['max-concurrent'],
      timeoutMs,
      refusalOf: (workload) => templateRefusal(afterLabels, workload),
      signal: abort.signal,
      onEvent: (text) => {
        if (process.stderr.isTTY) progress.update(text, true);
        else if (text !== lastEvent) process.stderr.write(`${text}\n`);
        lastEvent = text;
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    progress.done();
  }

  // Re-audit what the plan covered. After an ambient migration that ran to the end, verify it: the
  // CNI agent captures running pods on its own, so wait (within --timeout) until every pod of the
  // relabelled namespaces is captured (--to-ambient), or the restarted workloads' pods injected (--to-sidecar).
  const scopeSet = new Set(plan.scope);
  const reaudit = async () => {
    const after = await loadState(source, scope);
    const ctx = buildClusterContext(after);
    return after.pods.filter((p) => scopeSet.has(p.namespace)).map((p) => withoutDetail(auditPod(ctx, p)));
  };
  let audits = await reaudit();
  let verification: { ok: boolean; pending: string[] } | undefined;
  if (plan.migration && !result.stoppedBy) {
    const { migrationPending } = await import('../engine/ambient-migration.js');
    const migration = plan.migration;
    const migrated = new Set(selection.namespaces.map((n) => n.namespace));
    const restartedNow = new Set(selection.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}`));
    const pendingOf = (list: typeof audits) =>
      list.flatMap((a) => {
        // Pods of a Deployment are owned by its ReplicaSet; the audit names the Deployment.
        const where = { relabelled: migrated.has(a.namespace), restarted: a.workload !== null && restartedNow.has(`${a.namespace}/${a.workload.kind}/${a.workload.name}`) };
        const p = migrationPending(migration, a, where);
        return p ? [`${a.namespace}/${a.name}: ${p}${a.notCaptured ? ` (${a.notCaptured})` : ''}`] : [];
      });
    const deadline = Date.now() + timeoutMs;
    let pending = pendingOf(audits);
    progress.update(`verifying ${migration === 'ambient' ? 'capture' : 'injection'}…`, true);
    while (pending.length > 0 && Date.now() < deadline && !abort.signal.aborted) {
      await new Promise((r) => setTimeout(r, 500));
      audits = await reaudit();
      pending = pendingOf(audits);
    }
    progress.done();
    verification = { ok: pending.length === 0, pending };
  }
  const remainingDrift = audits.filter((a) => a.drift.length > 0);
  const document = { kind: 'RolloutResult', apiVersion: 'inject.istio-tools.dev/v1alpha1', plan, result, remainingDrift, ...(verification ? { verification } : {}) };
  const what = plan.migration === 'ambient' ? 'captured by ambient' : 'injected';
  if (!json) {
    process.stdout.write(`\n${renderResult(result, audits)}`);
    if (verification?.ok) process.stdout.write(`Verified: every pod of the migrated namespaces is ${what}.\n`);
    else if (verification) process.stdout.write(`Not verified within --timeout: ${verification.pending.length} pod(s) not ${what}:\n${verification.pending.map((p) => `  ${p}`).join('\n')}\n`);
  }
  const restarted = result.workloads.filter((w) => w.outcome === 'rolled-out').length;
  if (result.stoppedBy === 'interrupted') return { state: 'interrupted', message: 'interrupted: no new work was started', document };
  if (result.stoppedBy) return { state: 'failed', message: result.stoppedBy, document };
  if (verification && !verification.ok) {
    const message = `the migration is not verified: ${verification.pending.length} pod(s) not ${what} within --timeout; re-run the same command to continue`;
    if (!json) onWarning(message);
    return { state: 'failed', message, document };
  }
  return { state: 'done', message: `${restarted} workload(s) rolled out, ${remainingDrift.length} pod(s) still drift`, document };
}

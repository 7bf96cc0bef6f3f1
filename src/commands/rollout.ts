import * as Flags from '@oclif/core/flags';
import type { LabelChange, RolloutPlan } from '../engine/rollout-plan.js';
import { isWriter, UserError, type Scope } from '../cluster/source.js';
import type { ApplyResult } from '../rollout/apply-plan.js';
import type { Selection } from '../rollout/choose.js';
import { allNamespacesFlag, BaseCommand, namespaceFlag, openSource, parseDuration, sourceFlags } from '../cli/base-command.js';
import { Progress, warn } from '../cli/terminal.js';

export default class Rollout extends BaseCommand {
  static override summary = 'Converge: relabel namespaces and restart the workloads whose pods drift, then verify';
  static override description =
    'Plans first (namespace label changes, then every Deployment, StatefulSet and DaemonSet whose pods would drift under the resulting labels), asks on a terminal, applies like `kubectl label` and `kubectl rollout restart`, waits for each rollout, stops at the first failure and re-audits. Safe to re-run after an interruption.';
  static override examples = [
    '<%= config.bin %> rollout -n shop --revision canary --dry-run',
    '<%= config.bin %> rollout -n shop --revision canary',
    '<%= config.bin %> rollout -A --yes --max-concurrent 3 --timeout 10m',
    '<%= config.bin %> rollout -n legacy --enable --yes -o json',
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
    // Loaded here, not at start-up: other commands (and --help) do not pay for them.
    const [{ buildClusterContext }, { auditPod, withoutDetail }, { PlanError, planRollout, contextAfterLabels, templateRefusal }, { loadState }, { applyPlan }, { renderPlan, renderResult }, { renderStructured }] = await Promise.all([
      import('../engine/cluster-context.js'),
      import('../engine/pod-audit.js'),
      import('../engine/rollout-plan.js'),
      import('../cluster/load-state.js'),
      import('../rollout/apply-plan.js'),
      import('../render/rollout-table.js'),
      import('../render/structured.js'),
    ]);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    if (flags['accept-policy-gaps'] && !flags['to-ambient']) throw new UserError('--accept-policy-gaps only goes with --to-ambient', 2);
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
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    if (!flags['dry-run'] && !flags.yes && !interactive) {
      throw new UserError('rollout needs confirmation and there is no terminal: pass --yes to apply the plan, or --dry-run to only print it', 2);
    }

    this.source = await openSource(flags);
    const source = this.source;
    if (!flags['dry-run'] && !isWriter(source)) throw new UserError('rollout applies changes to a live cluster; with --snapshot or --demo use --dry-run');
    const namespace = flags['all-namespaces'] ? null : flags.namespace ?? source.defaultNamespace();
    const scope: Scope = { namespace, labelSelector: null };

    const progress = new Progress();
    progress.update('reading cluster state…', true);
    const state = await loadState(source, scope, (n) => progress.update(`listing pods… ${n}`));
    progress.done();
    for (const w of state.warnings) warn(w);
    let plan: RolloutPlan;
    try {
      plan = planRollout(state, { namespaces: namespace ? [namespace] : null, change, acceptPolicyGaps: flags['accept-policy-gaps'] });
    } catch (err) {
      if (err instanceof PlanError) throw new UserError(err.message);
      throw err;
    }

    const runnable = (w: { action: string }) => w.action === 'restart' || w.action === 'wait';
    const nothing = plan.namespaces.length === 0 && !plan.workloads.some(runnable);
    if (flags['dry-run'] || nothing) {
      if (json) process.stdout.write(renderStructured({ kind: 'RolloutPlan', apiVersion: 'inject.istio-tools.dev/v1alpha1', dryRun: flags['dry-run'], ...plan }, 'json'));
      else {
        process.stdout.write(renderPlan(plan));
        if (nothing) process.stdout.write('Nothing to do: no label change and no drifted workload to restart.\n');
        else process.stdout.write('Dry run: nothing was sent.\n');
      }
      return;
    }

    let selection: Selection | null = { namespaces: plan.namespaces, workloads: plan.workloads.filter(runnable) };
    if (!flags.yes) {
      process.stdout.write(renderPlan(plan));
      // Loaded only here: the prompt library is not needed to start up.
      const { chooseAndConfirm } = await import('../rollout/choose.js');
      selection = await chooseAndConfirm(plan);
      if (!selection) {
        process.stdout.write('Nothing was changed.\n');
        return;
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
    // relabelled namespaces is captured (--to-ambient) or injected (--to-sidecar).
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
      const migrated = new Set(selection.namespaces.map((n) => n.namespace));
      const restarted = new Set(selection.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}`));
      // The namespaces relabelled now, and the workloads restarted (a re-run relabels nothing).
      const pendingOf = (list: typeof audits) => list.flatMap((a) => {
        // Pods of a Deployment are owned by its ReplicaSet; the audit names the Deployment.
        const where = { relabelled: migrated.has(a.namespace), restarted: a.workload !== null && restarted.has(`${a.namespace}/${a.workload.kind}/${a.workload.name}`) };
        const p = migrationPending(plan.migration!, a, where);
        return p ? [`${a.namespace}/${a.name}: ${p}${a.notCaptured ? ` (${a.notCaptured})` : ''}`] : [];
      });
      const deadline = Date.now() + timeoutMs;
      let pending = pendingOf(audits);
      progress.update(`verifying ${plan.migration === 'ambient' ? 'capture' : 'injection'}…`, true);
      while (pending.length > 0 && Date.now() < deadline && !abort.signal.aborted) {
        await new Promise((r) => setTimeout(r, 500));
        audits = await reaudit();
        pending = pendingOf(audits);
      }
      progress.done();
      verification = { ok: pending.length === 0, pending };
    }
    if (json) {
      process.stdout.write(
        renderStructured(
          { kind: 'RolloutResult', apiVersion: 'inject.istio-tools.dev/v1alpha1', plan, result, remainingDrift: audits.filter((a) => a.drift.length > 0), ...(verification ? { verification } : {}) },
          'json',
        ),
      );
    } else {
      process.stdout.write(`\n${renderResult(result, audits)}`);
      if (verification) {
        const what = plan.migration === 'ambient' ? 'captured by ambient' : 'injected';
        if (verification.ok) process.stdout.write(`Verified: every pod of the migrated namespaces is ${what}.\n`);
        else process.stdout.write(`Not verified within --timeout: ${verification.pending.length} pod(s) not ${what}:\n${verification.pending.map((p) => `  ${p}`).join('\n')}\n`);
      }
    }
    if (result.stoppedBy === 'interrupted') this.exit(130);
    if (result.stoppedBy) this.exit(1);
    if (verification && !verification.ok) {
      if (!json) warn(`the migration is not verified: ${verification.pending.length} pod(s) still pending; re-run the same command to continue`);
      this.exit(1);
    }
  }
}

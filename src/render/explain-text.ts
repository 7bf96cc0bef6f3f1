// `explain` as numbered steps: namespace labels, every injection webhook with each selector
// requirement, the injector's checks in Istio's order, the actual proxy; then verdict, drift and fix.
import type { InjectionExplanation, WebhookExplanation } from '../engine/explanation.js';
import type { RequirementResult } from '../engine/label-selector.js';
import { formatRequirement } from '../engine/label-selector.js';
import type { SelectorEvaluation } from '../engine/webhook-matching.js';
import type { Palette } from '../cli/terminal.js';
import { actualText } from './status-table.js';

function labelsText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : '<none>';
}

function requirementLine(r: RequirementResult, c: Palette): string {
  const mark = r.matched ? c.green('yes') : c.red('no ');
  const actual = r.actual === null ? 'absent' : `${r.key}=${JSON.stringify(r.actual)}`;
  return `${mark}  ${formatRequirement(r)}   (${actual})`;
}

function selectorLines(name: string, ev: SelectorEvaluation, c: Palette): string[] {
  if (!ev.valid) return [`${name}: ${c.red('INVALID')} ${ev.error ?? ''}: matches nothing`];
  if (ev.requirements.length === 0) return [`${name}: <empty>: matches everything`];
  return [`${name}: ${ev.matched ? c.green('matched') : c.red('not matched')}`, ...ev.requirements.map((r) => `  ${requirementLine(r, c)}`)];
}

function webhookBlock(w: WebhookExplanation, c: Palette): string[] {
  const tag = w.tag ? `, tag ${w.tag}` : '';
  const status = w.matched ? c.green('MATCHES') : c.dim('no match');
  const notes = [w.deactivated ? 'deactivated (never-match selectors)' : '', w.interceptsPodCreate ? '' : 'rules do not cover CREATE of v1 pods'].filter(Boolean);
  return [
    `${status}  ${w.configuration} / ${w.webhook}  (revision ${w.revision}${tag})${notes.length ? ` [${notes.join('; ')}]` : ''}`,
    ...selectorLines('namespaceSelector', w.namespaceSelector, c).map((l) => `      ${l}`),
    ...selectorLines('objectSelector', w.objectSelector, c).map((l) => `      ${l}`),
  ];
}

export function renderExplainText(e: InjectionExplanation, c: Palette): string {
  const out: string[] = [];
  const wl = e.workload && e.target.kind === 'Pod' ? ` (${e.workload.kind}/${e.workload.name})` : '';
  out.push(c.bold(`${e.target.kind} ${e.target.namespace}/${e.target.name}${wl}`), '');
  let step = 1;
  out.push(`${step++}. Namespace ${e.namespace.name}`);
  out.push(`   labels: ${labelsText(e.namespace.labels)}`);
  out.push(`${step++}. Pod ${e.target.kind === 'Pod' ? '' : 'template '}labels: ${labelsText(e.podLabels)}`);
  const istioAnnotations = Object.entries(e.podAnnotations).filter(([k]) => k !== 'sidecar.istio.io/status');
  if (istioAnnotations.length) out.push(`   annotations: ${istioAnnotations.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  out.push(`${step++}. Injection webhooks, in the order the API server calls them`);
  if (e.webhooks.length === 0) out.push(`   ${c.red('none')}: the cluster has no webhook named *sidecar-injector.istio.io`);
  for (const w of e.webhooks) out.push(...webhookBlock(w, c).map((l) => `   ${l}`));
  if (e.injector) {
    out.push(`${step++}. Injector ${e.injector.configMap} (revision ${e.injector.revision}, policy ${JSON.stringify(e.injector.policy)}), checks in Istio's order`);
    out.push(`   version: ${e.injector.version ?? 'unknown'} (${e.injector.versionSource}); rules: ${e.injector.rules}`);
    e.injector.steps.forEach((s, i) => {
      const marker = s.decisive ? c.bold(' <- decides') : '';
      out.push(`   ${String.fromCharCode(97 + i)}. ${s.check}: ${s.result}${marker}`);
    });
    if (e.injector.admission?.accepted) out.push(`   admission: accepted (${e.injector.admission.checks.join('; ')})`);
    else if (e.injector.admission) out.push(`   admission: ${c.red('REFUSED')}: the API server will not create the pod`);
    for (const o of e.otherInjectors) out.push(`   also matched: revision ${o.revision} (${o.configMap}) would ${o.inject ? 'inject' : 'not inject'}: ${o.rule}`);
  }
  if (e.dataplane.relevant) {
    const d = e.dataplane;
    out.push(`${step++}. Ambient data plane, checks in Istio's order (istio-cni enablement)`);
    d.steps.forEach((s, i) => out.push(`   ${String.fromCharCode(97 + i)}. ${s.check}: ${s.result}${s.decisive ? c.bold(' <- decides') : ''}`));
    const component = (name: string, st: typeof d.ztunnel) => (st ? `${name} ${st.object} ${st.healthy ? c.green(st.summary) : c.red(st.summary)}` : `${name} ${c.red('absent')}`);
    out.push(`   node components: ${component('ztunnel', d.ztunnel)}; ${component('istio-cni', d.cni)}`);
    if (d.waypoint) out.push(`   waypoint: ${d.waypoint.namespace}/${d.waypoint.name} (label on the ${d.waypoint.from})${d.waypoint.problem ? `: ${c.red(d.waypoint.problem)}` : ''}`);
    if (d.notCaptured) out.push(`   not captured: ${d.notCaptured}`);
  }
  if (e.actual) {
    out.push(`${step++}. Actual`);
    out.push(`   proxy: ${actualText({ actual: e.actual } as never)}; mode ${e.actual.mode}; image ${e.actual.image ?? '-'}`);
    const own = e.actual.mode === 'gateway' ? ' (a gateway or waypoint: the proxy is the workload itself, never drift)' : '';
    out.push(`   went through the injector: ${e.actual.viaInjector ? 'yes' : 'no'}${e.actual.manual ? ' (proxy is in the workload template and no webhook re-injects it: manual injection)' : ''}${own}${e.actual.ambient ? '; captured by ambient' : ''}${e.actual.ambientPending ? '; ambient capture pending' : ''}`);
    if (e.expectedImage) out.push(`   expected image: ${e.expectedImage.image ?? 'unknown'} (${e.expectedImage.how})`);
  }
  if (e.pods && e.pods.length) {
    out.push(`${step++}. Current pods`);
    for (const p of e.pods) out.push(`   ${p.name}: ${actualText(p)}${p.drift.length ? ` drift ${c.red(p.drift.join(','))}` : ''}`);
  } else if (e.pods) out.push(`${step++}. Current pods: none`);
  out.push('');
  const verdict = e.decision.inject ? c.green(`INJECT (revision ${e.decision.revision})`) : c.yellow('NO INJECTION');
  out.push(`Verdict: ${verdict}: ${e.decision.reason}`);
  if (e.dataplane.relevant) {
    const dp = e.dataplane.desired === 'sidecar' ? `SIDECAR${e.dataplane.revision ? ` (revision ${e.dataplane.revision})` : ''}` : e.dataplane.desired.toUpperCase();
    out.push(`Data plane: ${e.dataplane.desired === 'ambient' ? c.green(dp) : dp}: ${e.dataplane.reason}`);
  }
  out.push(`Drift: ${e.drift.length ? c.red(e.drift.join(', ')) : 'none'}`);
  if (e.findings.length) {
    out.push('Findings:');
    for (const f of e.findings) out.push(`  ${f.code}: ${f.message}`);
  } else out.push('Findings: none');
  if (e.remedies.length) {
    out.push('Fix:');
    for (const r of e.remedies) out.push(`  ${r}`);
  }
  return `${out.join('\n')}\n`;
}

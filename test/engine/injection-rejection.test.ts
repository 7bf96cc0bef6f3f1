// Pods the injector refuses (istio-fidelity.md section 2): validateAnnotations (pkg/kube/inject/validate.go)
// and the templates a pod asks for (selectTemplates/RunTemplate). Values that Istio's own TestInjection
// inputs (pkg/kube/inject/testdata/inject) carry are accepted; its traffic-annotations-bad-* inputs are refused.
import { describe, expect, it } from 'vitest';
import { VALIDATORS, isPrefix, proxyConfig, quantity } from '../../src/engine/annotation-validation.js';
import { decide } from '../../src/engine/decision.js';
import { injectorRefusals } from '../../src/engine/injection-rejection.js';
import { parseInjectorConfig, type InjectorConfig } from '../../src/engine/injector-config.js';
import { auditPod } from '../../src/engine/pod-audit.js';
import { codes, context, injectedPod, injectorConfigMap, ns, pod, webhookConfig } from './helpers.js';

const config = (tag: string, extra: Record<string, unknown> = {}): InjectorConfig =>
  parseInjectorConfig(injectorConfigMap({ values: { tag }, config: extra }), 'default');

describe('validators, one annotation at a time', () => {
  // [annotation, value, accepted]
  it.each<[string, string, boolean]>([
    // From TestInjection inputs (accepted).
    ['sidecar.istio.io/interceptionMode', 'TPROXY', true],
    ['sidecar.istio.io/interceptionMode', 'NONE', true],
    ['sidecar.istio.io/interceptionMode', 'REDIRECT', true],
    ['status.sidecar.istio.io/port', '123', true],
    ['status.sidecar.istio.io/port', '0', true],
    ['readiness.status.sidecar.istio.io/failureThreshold', '300', true],
    ['readiness.status.sidecar.istio.io/initialDelaySeconds', '100', true],
    ['readiness.status.sidecar.istio.io/periodSeconds', '200', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '127.0.0.1/24,10.96.0.1/24', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '*', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '', true],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.96.0.2/24,10.96.0.3/24', true],
    ['traffic.sidecar.istio.io/includeInboundPorts', '1,2,3', true],
    ['traffic.sidecar.istio.io/includeInboundPorts', '*', true],
    ['traffic.sidecar.istio.io/includeInboundPorts', '', true],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '4,5,6', true],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '7,8,9', true],
    ['traffic.sidecar.istio.io/kubevirtInterfaces', 'net1', true],
    ['traffic.sidecar.istio.io/kubevirtInterfaces', 'net1,net2', true],
    ['istio.io/reroute-virtual-interfaces', 'net1ps5,net2qr9', true],
    ['prometheus.istio.io/merge-metrics', 'false', true],
    ['sidecar.istio.io/proxyCPU', '100m', true],
    ['sidecar.istio.io/proxyCPULimit', '1000m', true],
    ['sidecar.istio.io/proxyMemory', '1Gi', true],
    ['sidecar.istio.io/proxyMemoryLimit', '2Gi', true],
    ['proxy.istio.io/config', '{ "holdApplicationUntilProxyStarts": false }', true],
    ['proxy.istio.io/config', 'discoveryAddress: foo:123\nconcurrency: 0\nproxyMetadata:\n  FOO: bar\n', true],
    // traffic-annotations-bad-* (refused) and other bad values.
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', 'bad', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '*', false],
    ['traffic.sidecar.istio.io/includeInboundPorts', 'bad', false],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '*', false],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', 'bad', false],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '5432,70000', false],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/8, 192.168.0.0/16', false],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0', false],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/33', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '2001:db8::/32,::1/128', true],
    ['sidecar.istio.io/interceptionMode', 'redirect', false],
    ['sidecar.istio.io/interceptionMode', 'IPTABLES', false],
    ['status.sidecar.istio.io/port', '65536', false],
    ['status.sidecar.istio.io/port', 'http', false],
    ['readiness.status.sidecar.istio.io/periodSeconds', '-1', false],
    ['readiness.status.sidecar.istio.io/periodSeconds', '5s', false],
    ['prometheus.istio.io/merge-metrics', 'yes', false],
    ['prometheus.istio.io/merge-metrics', 'TRUE', true],
    ['sidecar.istio.io/enableCoreDump', 'true', true],
    ['sidecar.istio.io/enableCoreDump', 'sure', false],
    ['traffic.sidecar.istio.io/excludeInterfaces', 'eth0,', false],
    ['traffic.sidecar.istio.io/excludeInterfaces', '0eth', false],
    ['traffic.sidecar.istio.io/excludeInterfaces', 'averyveryverylongname', false],
    ['sidecar.istio.io/proxyCPU', 'notaquantity', false],
    ['sidecar.istio.io/proxyCPU', '', false],
    ['sidecar.istio.io/proxyMemory', '128Mi\nmalicious', false],
    ['sidecar.istio.io/proxyMemoryLimit', '1Gi\u0000', false],
    ['proxy.istio.io/config', 'image: [', false],
    ['proxy.istio.io/config', 'just a string', false],
    ['proxy.istio.io/config', 'concurrency: lots', false],
    ['proxy.istio.io/config', 'discoveryAddress: istiod', false],
    ['proxy.istio.io/config', 'drainDuration: 500ms', false],
    ['proxy.istio.io/config', 'statusPort: 0', false],
    ['proxy.istio.io/config', 'someFutureField: 1', true],
  ])('%s=%j accepted: %s', (annotation, value, accepted) => {
    expect(VALIDATORS[annotation]!(value) === null).toBe(accepted);
  });

  it('quantities as Kubernetes parses them', () => {
    for (const q of ['100m', '0.5', '.5', '1e3', '128Mi', '1Ki', '2', '+1', '1.5Gi']) expect(quantity(q), q).toBeNull();
    for (const q of ['1 Gi', 'Mi', '1GB', '1.2.3', 'abc']) expect(quantity(q), q).not.toBeNull();
  });

  it('CIDR prefixes as netip.ParsePrefix reads them', () => {
    for (const p of ['10.0.0.0/8', '0.0.0.0/0', '10.96.0.1/24', '::/0', 'fe80::1/64', '::ffff:10.0.0.1/128']) expect(isPrefix(p), p).toBe(true);
    for (const p of ['010.0.0.0/8', '10.0.0.0/08', '256.0.0.0/8', 'fe80::1%eth0/64', '10.0.0.0/', '/8']) expect(isPrefix(p), p).toBe(false);
  });

  it('proxy.istio.io/config: an empty value parses to nothing and is accepted', () => {
    expect(proxyConfig('')).toBeNull();
  });
});

describe('injectorRefusals: validateAnnotations by istiod version', () => {
  // [annotation, value, refused by 1.26.2, refused by 1.27.0, refused by 1.30.0]
  it.each<[string, string, boolean, boolean, boolean]>([
    ['sidecar.istio.io/proxyCPU', 'lots', false, true, true],
    ['sidecar.istio.io/proxyMemoryLimit', '1Gi\n', false, true, true],
    ['traffic.sidecar.istio.io/excludeInterfaces', 'bad name', false, false, true],
    ['traffic.sidecar.istio.io/kubevirtInterfaces', '9net', false, false, true],
    ['sidecar.istio.io/interceptionMode', 'tproxy', true, true, true],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', 'bad', true, true, true],
    ['sidecar.istio.io/proxyCPU', '100m', false, false, false],
  ])('%s=%j: 1.26 %s, 1.27 %s, 1.30 %s', (annotation, value, r126, r127, r130) => {
    const annotations = { [annotation]: value };
    expect(injectorRefusals(config('1.26.2'), annotations).length > 0).toBe(r126);
    expect(injectorRefusals(config('1.27.0'), annotations).length > 0).toBe(r127);
    expect(injectorRefusals(config('1.30.0'), annotations).length > 0).toBe(r130);
  });

  it('enableCoreDump is validated up to 1.24 only', () => {
    const annotations = { 'sidecar.istio.io/enableCoreDump': 'sure' };
    expect(injectorRefusals(config('1.24.6'), annotations)).toHaveLength(1);
    expect(injectorRefusals(config('1.25.0'), annotations)).toEqual([]);
  });

  it('every failing annotation is reported, with Istio\'s message', () => {
    const r = injectorRefusals(config('1.28.0'), { 'traffic.sidecar.istio.io/includeInboundPorts': 'bad', 'sidecar.istio.io/interceptionMode': 'x' });
    expect(r.map((x) => x.annotation)).toEqual(['sidecar.istio.io/interceptionMode', 'traffic.sidecar.istio.io/includeInboundPorts']);
    expect(r[1]!.message).toBe("invalid value 'bad' for annotation 'traffic.sidecar.istio.io/includeInboundPorts': includeInboundPorts invalid: failed parsing port 'bad'");
  });
});

describe('injectorRefusals: templates', () => {
  const withTemplates = config('1.28.0', { aliases: { grpc: ['grpc-simple'], broken: ['missing'] } });
  it.each<[Record<string, string>, string | null]>([
    [{}, null],
    [{ 'inject.istio.io/templates': 'sidecar' }, null],
    [{ 'inject.istio.io/templates': 'grpc' }, null],
    [{ 'inject.istio.io/templates': ' sidecar , grpc-simple ' }, null],
    [{ 'inject.istio.io/templates': '' }, ''],
    [{ 'inject.istio.io/templates': 'sidecar,' }, ''],
    [{ 'inject.istio.io/templates': 'custom' }, 'custom'],
    [{ 'inject.istio.io/templates': 'broken' }, 'missing'],
  ])('%j -> missing %j', (annotations, missing) => {
    const r = injectorRefusals(withTemplates, annotations);
    if (missing === null) expect(r).toEqual([]);
    else {
      expect(r).toHaveLength(1);
      expect(r[0]).toMatchObject({ annotation: 'inject.istio.io/templates', rule: 'template not found' });
      expect(r[0]!.message).toContain(`requested template ${JSON.stringify(missing)} not found`);
    }
  });

  it('a defaultTemplates entry with no template refuses every pod', () => {
    const r = injectorRefusals(config('1.28.0', { defaultTemplates: ['sidecar', 'extra'] }), {});
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ annotation: null, rule: 'default template not found' });
  });

  it('only the legacy `template:`: istiod < 1.10 renders it, a current istiod refuses every pod', () => {
    const legacy = (tag: string) => parseInjectorConfig(injectorConfigMap({ values: { tag }, config: 'policy: enabled\ntemplate: |\n  containers:\n  - name: istio-proxy\n' }), 'default');
    expect(injectorRefusals(legacy('1.3.1'), {})).toEqual([]);
    expect(injectorRefusals(legacy('1.9.0'), {})).toEqual([]);
    const current = injectorRefusals(legacy('1.10.0'), {});
    expect(current).toHaveLength(1);
    expect(current[0]!.message).toContain('no longer renders');
  });

  it('an unreadable ConfigMap has no known templates: only annotations are checked', () => {
    const broken = parseInjectorConfig(injectorConfigMap({ config: 'policy: [' }), 'default');
    expect(injectorRefusals(broken, { 'inject.istio.io/templates': 'whatever' })).toEqual([]);
    expect(injectorRefusals(broken, { 'sidecar.istio.io/interceptionMode': 'x' })).toHaveLength(1);
  });
});

describe('InjectionRejected in decisions and audits: only where a webhook would inject the pod', () => {
  const ctx = context({
    webhookConfigurations: [webhookConfig('a')],
    configMaps: [injectorConfigMap({ values: { tag: '1.28.0' } })],
    namespaces: [ns('inj', { 'istio-injection': 'enabled' }), ns('plain')],
  });
  const bad = { 'traffic.sidecar.istio.io/excludeOutboundPorts': 'bad' };

  it('an injected namespace: refused; desired still says the webhook would inject; no drift, an error finding', () => {
    const p = pod({ namespace: 'inj', annotations: bad });
    const d = decide(ctx, p);
    expect(d.inject).toBe(true);
    expect(d.refusal?.rejections[0]?.annotation).toBe('traffic.sidecar.istio.io/excludeOutboundPorts');
    const a = auditPod(ctx, p);
    expect(a.drift).toEqual([]);
    const f = a.findings.find((x) => x.code === 'InjectionRejected')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain('traffic.sidecar.istio.io/excludeOutboundPorts');
    expect(f.message).toContain('istiod 1.28.0');
  });

  it('an existing injected pod whose next pods would be refused: no RevisionMismatch, InjectionRejected', () => {
    const a = auditPod(ctx, injectedPod('old', { namespace: 'inj', annotations: bad }));
    expect(a.drift).toEqual([]);
    expect(codes(a.findings)).toContain('InjectionRejected');
  });

  it('no webhook matches (unlabelled namespace) or the injector declines: nothing is refused', () => {
    expect(decide(ctx, pod({ namespace: 'plain', annotations: bad })).refusal).toBeNull();
    expect(decide(ctx, pod({ namespace: 'inj', annotations: { ...bad, 'sidecar.istio.io/inject': 'false' } })).refusal).toBeNull();
    expect(codes(auditPod(ctx, pod({ namespace: 'plain', annotations: bad })).findings)).not.toContain('InjectionRejected');
  });

  it('pods that differ only in a validated annotation get their own decision (cache key)', () => {
    expect(decide(ctx, pod({ namespace: 'inj' })).refusal).toBeNull();
    const a = auditPod(ctx, pod({ namespace: 'inj', name: 'a' }));
    const b = auditPod(ctx, pod({ namespace: 'inj', name: 'b', annotations: bad }));
    expect(codes(a.findings)).not.toContain('InjectionRejected');
    expect(codes(b.findings)).toContain('InjectionRejected');
  });
});

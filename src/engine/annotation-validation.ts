// The per-annotation checks of Istio's validateAnnotations (pkg/kube/inject/validate.go): a value that
// fails makes RunTemplate fail, so the webhook answers allowed: false and the API server refuses the pod.
// Each validator returns null when the value is accepted, else the reason in Istio's words.
import yaml from 'js-yaml';

export type Validator = (value: string) => string | null;

/** strconv.ParseUint(s, 10, bits): decimal digits only, within range. */
function parseUint(s: string, bits: 16 | 32): number | null {
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= 2 ** bits - 1 ? n : null;
}

/** strconv.ParseBool. */
const BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6(addr: string): boolean {
  if (addr.includes('%') || !addr.includes(':')) return false;
  let text = addr;
  let groups = 8;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!IPV4.test(tail)) return false;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const double = text.split('::');
  if (double.length > 2) return false;
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  const head = part(double[0]!);
  const rest = double.length === 2 ? part(double[1]!) : [];
  const all = [...head, ...rest];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return double.length === 2 ? all.length < groups : all.length === groups;
}

export function isIPAddress(addr: string): boolean {
  return IPV4.test(addr) || isIPv6(addr);
}

/** netip.ParsePrefix: ADDRESS/BITS, no zone, bits within the family's size. */
export function isPrefix(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const addr = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bits)) return false;
  if (IPV4.test(addr)) return Number(bits) <= 32;
  if (isIPv6(addr)) return Number(bits) <= 128;
  return false;
}

function cidrList(value: string): string | null {
  if (value.length === 0) return null;
  for (const cidr of value.split(',')) if (!isPrefix(cidr)) return `failed parsing cidr '${cidr}'`;
  return null;
}

function portList(name: string, value: string): string | null {
  const trimmed = value.trim();
  if (trimmed.length === 0) return null;
  for (const p of trimmed.split(',')) if (parseUint(p.trim(), 16) === null) return `${name} invalid: failed parsing port '${p}'`;
  return null;
}

const INTERFACE_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

function interfaceNames(value: string): string | null {
  if (value.length === 0) return null;
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name.length === 0) return 'empty interface name';
    if (name.length > 15) return `interface name "${name}" too long (max 15 chars)`;
    if (!INTERFACE_NAME.test(name)) return `interface name "${name}" contains invalid characters`;
  }
  return null;
}

/** resource.ParseQuantity, after the control-character check of 1.27+. */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

export function quantity(value: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'value contains control characters';
  return QUANTITY.test(value) ? null : 'quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'';
}

/** Go's time.ParseDuration ("45s", "1m30s", "0.5s", "100ms"). Milliseconds, or null. */
function durationMs(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let rest = value.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return null;
  let total = 0;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return null;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const FQDN_LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** pkg/config/validation/agent ValidateProxyAddress: host:port with a valid FQDN or IP and port 1..65535. */
function proxyAddress(address: string): string | null {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):([^:]*)$/.exec(address);
  if (!m) return `unable to split "${address}"`;
  const host = m[1] ?? m[2] ?? '';
  const port = m[3] ?? '';
  if (!/^\d+$/.test(port)) return `port (${port}) is not a number`;
  if (Number(port) < 1 || Number(port) > 65535) return `port number ${port} must be in the range 1..65535`;
  const fqdn = host.length > 0 && host.length <= 255 && host.split('.').every((l) => FQDN_LABEL.test(l));
  if (!fqdn && !isIPAddress(host)) return `"${host}" is not a valid hostname or an IP address`;
  return null;
}

const STRING_FIELDS = ['configPath', 'binaryPath', 'serviceCluster', 'discoveryAddress', 'statsdUdpAddress', 'envoyMetricsServiceAddress', 'proxyBootstrapTemplatePath', 'customConfigFile', 'tracingServiceName'];
const DURATION_FIELDS = ['drainDuration', 'parentShutdownDuration', 'terminationDrainDuration', 'discoveryRefreshDelay', 'connectTimeout'];
const INT_FIELDS = ['concurrency', 'proxyAdminPort', 'statusPort', 'statNameLength'];
const BOOL_FIELDS = ['holdApplicationUntilProxyStarts'];
const ENUMS: Record<string, string[]> = {
  interceptionMode: ['REDIRECT', 'TPROXY', 'NONE'],
  controlPlaneAuthPolicy: ['NONE', 'MUTUAL_TLS'],
};

/**
 * proxy.istio.io/config: applied (YAML, unknown fields allowed) over the default ProxyConfig, then
 * ValidateMeshConfigProxyConfig. Checks the fields a typo or a wrong type breaks in practice.
 */
export function proxyConfig(value: string): string | null {
  let doc: unknown;
  try {
    doc = yaml.load(value);
  } catch (err) {
    return `failed to convert to apply proxy config: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
  }
  if (doc === null || doc === undefined) return null;
  if (!isObject(doc)) return 'failed to convert to apply proxy config: not a map of ProxyConfig fields';
  const bad = (field: string, want: string) => `failed to convert to apply proxy config: ${field} is not ${want}`;
  for (const f of STRING_FIELDS) if (f in doc && doc[f] !== null && typeof doc[f] !== 'string') return bad(f, 'a string');
  for (const f of INT_FIELDS) {
    const v = doc[f];
    if (f in doc && v !== null && !(typeof v === 'number' && Number.isInteger(v)) && !(typeof v === 'string' && /^-?\d+$/.test(v))) return bad(f, 'an integer');
  }
  for (const f of BOOL_FIELDS) if (f in doc && doc[f] !== null && typeof doc[f] !== 'boolean') return bad(f, 'a boolean');
  for (const f of DURATION_FIELDS) if (f in doc && doc[f] !== null && durationMs(doc[f]) === null) return bad(f, 'a duration');
  if ('proxyMetadata' in doc && doc.proxyMetadata !== null) {
    if (!isObject(doc.proxyMetadata) || !Object.values(doc.proxyMetadata).every((v) => typeof v === 'string')) return bad('proxyMetadata', 'a map of strings');
  }
  if ('image' in doc && doc.image !== null) {
    if (!isObject(doc.image) || ('imageType' in doc.image && doc.image.imageType !== null && typeof doc.image.imageType !== 'string')) return bad('image', 'an image (imageType: string)');
  }
  for (const [f, values] of Object.entries(ENUMS)) {
    if (f in doc && doc[f] !== null && !(typeof doc[f] === 'string' && values.includes(doc[f] as string)) && !(typeof doc[f] === 'number' && Number.isInteger(doc[f]))) {
      return bad(f, `one of ${values.join(', ')}`);
    }
  }
  // ValidateMeshConfigProxyConfig on the merged result (defaults fill what the annotation leaves out).
  if (doc.configPath === '') return 'config path must be set';
  if (doc.binaryPath === '') return 'binary path must be set';
  if (doc.serviceCluster === '') return 'service cluster must be specified';
  if (doc.drainDuration !== undefined && doc.drainDuration !== null) {
    const ms = durationMs(doc.drainDuration)!;
    if (ms < 1) return 'invalid drain duration: duration must be greater than 1ms';
    if (ms % 1 !== 0) return 'invalid drain duration: only durations to ms precision are supported';
    if (ms % 1000 !== 0) return 'drain time only supports durations to seconds precision';
  }
  if (doc.discoveryAddress === '') return 'discovery address must be set to the proxy discovery service';
  if (typeof doc.discoveryAddress === 'string') {
    const err = proxyAddress(doc.discoveryAddress);
    if (err) return `invalid discovery address: ${err}`;
  }
  if (typeof doc.statsdUdpAddress === 'string' && doc.statsdUdpAddress !== '') {
    const err = proxyAddress(doc.statsdUdpAddress);
    if (err) return `invalid statsd udp address "${doc.statsdUdpAddress}": ${err}`;
  }
  for (const [f, what] of [
    ['proxyAdminPort', 'proxy admin port'],
    ['statusPort', 'status port'],
  ] as const) {
    if (doc[f] === undefined || doc[f] === null) continue;
    const port = Number(doc[f]);
    if (!(port >= 1 && port <= 65535)) return `invalid ${what}: port number ${port} must be in the range 1..65535`;
  }
  return null;
}

export const VALIDATORS: Record<string, Validator> = {
  'sidecar.istio.io/interceptionMode': (v) => (v === 'REDIRECT' || v === 'TPROXY' || v === 'NONE' ? null : `interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${v}`),
  'sidecar.istio.io/enableCoreDump': (v) => (BOOLS.has(v) ? null : `strconv.ParseBool: parsing "${v}": invalid syntax`),
  'status.sidecar.istio.io/port': (v) => (parseUint(v.trim(), 16) === null ? `excludeInboundPorts invalid: failed parsing port '${v}'` : null),
  'readiness.status.sidecar.istio.io/initialDelaySeconds': (v) => (parseUint(v, 32) === null ? `strconv.ParseUint: parsing "${v}": invalid syntax or out of range` : null),
  'readiness.status.sidecar.istio.io/periodSeconds': (v) => (parseUint(v, 32) === null ? `strconv.ParseUint: parsing "${v}": invalid syntax or out of range` : null),
  'readiness.status.sidecar.istio.io/failureThreshold': (v) => (parseUint(v, 32) === null ? `strconv.ParseUint: parsing "${v}": invalid syntax or out of range` : null),
  'traffic.sidecar.istio.io/includeOutboundIPRanges': (v) => {
    if (v === '*') return null;
    const err = cidrList(v);
    return err ? `includeIPRanges invalid: ${err}` : null;
  },
  'traffic.sidecar.istio.io/excludeOutboundIPRanges': (v) => {
    const err = cidrList(v);
    return err ? `excludeIPRanges invalid: ${err}` : null;
  },
  'traffic.sidecar.istio.io/includeInboundPorts': (v) => (v === '*' ? null : portList('includeInboundPorts', v)),
  'traffic.sidecar.istio.io/excludeInboundPorts': (v) => portList('excludeInboundPorts', v),
  'traffic.sidecar.istio.io/excludeOutboundPorts': (v) => portList('excludeOutboundPorts', v),
  'traffic.sidecar.istio.io/excludeInterfaces': interfaceNames,
  'traffic.sidecar.istio.io/kubevirtInterfaces': interfaceNames,
  'istio.io/reroute-virtual-interfaces': interfaceNames,
  'prometheus.istio.io/merge-metrics': (v) => (BOOLS.has(v) ? null : `strconv.ParseBool: parsing "${v}": invalid syntax`),
  'proxy.istio.io/config': proxyConfig,
  'sidecar.istio.io/proxyCPU': quantity,
  'sidecar.istio.io/proxyMemory': quantity,
  'sidecar.istio.io/proxyCPULimit': quantity,
  'sidecar.istio.io/proxyMemoryLimit': quantity,
};

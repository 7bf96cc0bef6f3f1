// Server-side printing: the columns and cells a real API server puts in a meta.k8s.io/v1 Table when
// kubectl asks for one (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), so `kubectl get`
// shows READY, STATUS, ... as against a real cluster.
import type { RawObject } from './types.js';

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer';
  format: string;
  description: string;
  /** 0 = always shown, 1 = only with -o wide. */
  priority: number;
}

type Cell = string | number;

interface Printer {
  columns: ColumnDefinition[];
  cells: (object: RawObject, now: number) => Cell[];
}

const column = (name: string, priority = 0, type: ColumnDefinition['type'] = 'string'): ColumnDefinition => ({
  name,
  type,
  format: name === 'Name' ? 'name' : '',
  description: name === 'Name' ? 'Name must be unique within a namespace.' : name,
  priority,
});

/** apimachinery's duration.HumanDuration: 45s, 3m20s, 5h10m, 3d21h, 114d, 2y30d. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 365 * 2) return `${days}d`;
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.trunc(days / 365)}y` : `${Math.trunc(days / 365)}y${days % 365}d`;
  return `${Math.trunc(days / 365)}y`;
}

function age(timestamp: unknown, now: number): string {
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return Number.isNaN(time) ? '<unknown>' : humanDuration(now - time);
}

const list = (value: unknown): RawObject[] => (Array.isArray(value) ? (value as RawObject[]) : []);
const count = (value: unknown): number => (typeof value === 'number' ? value : 0);
const orNone = (value: unknown): string => (typeof value === 'string' && value !== '' ? value : '<none>');
const labelsText = (labels: unknown): string =>
  labels && typeof labels === 'object' && Object.keys(labels).length > 0
    ? Object.entries(labels as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '<none>';

/** metav1.FormatLabelSelector, for matchLabels and the usual matchExpressions. */
function selectorText(selector: RawObject | undefined): string {
  if (!selector) return '<none>';
  const parts = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const e of list(selector.matchExpressions)) {
    const op = String(e.operator);
    if (op === 'Exists') parts.push(String(e.key));
    else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op.toLowerCase()} (${list(e.values).join(',')})`);
  }
  return parts.length > 0 ? parts.join(',') : '<none>';
}

/** Containers, images and selector: the -o wide columns of workloads. */
const wideWorkloadColumns = [column('Containers', 1), column('Images', 1), column('Selector', 1)];
function wideWorkloadCells(object: RawObject, podSpec: RawObject | undefined): Cell[] {
  const containers = list(podSpec?.containers);
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image).join(','), selectorText(object.spec?.selector)];
}

/** printPod, without the rarer cases (init container progress, restart times). */
function podStatus(pod: RawObject): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  for (const status of list(pod.status?.containerStatuses)) {
    const state = status.state ?? {};
    if (state.waiting?.reason) reason = state.waiting.reason;
    else if (state.terminated?.reason) reason = state.terminated.reason;
  }
  return reason;
}

function jobStatus(job: RawObject): string {
  const holds = (type: string) => list(job.status?.conditions).some((c) => c.type === type && c.status === 'True');
  if (holds('Complete')) return 'Complete';
  if (holds('Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (holds('Suspended')) return 'Suspended';
  return 'Running';
}

const PRINTERS: Record<string, Printer> = {
  Namespace: {
    columns: [column('Name'), column('Status'), column('Age')],
    cells: (o, now) => [o.metadata.name, o.status?.phase ?? 'Active', age(o.metadata.creationTimestamp, now)],
  },
  Pod: {
    columns: [column('Name'), column('Ready'), column('Status'), column('Restarts'), column('Age'), column('IP', 1), column('Node', 1), column('Nominated Node', 1), column('Readiness Gates', 1)],
    cells: (o, now) => {
      const statuses = list(o.status?.containerStatuses);
      return [
        o.metadata.name,
        `${statuses.filter((s) => s.ready).length}/${list(o.spec?.containers).length}`,
        podStatus(o),
        String(statuses.reduce((sum, s) => sum + count(s.restartCount), 0)),
        age(o.metadata.creationTimestamp, now),
        orNone(o.status?.podIP),
        orNone(o.spec?.nodeName),
        orNone(o.status?.nominatedNodeName),
        '<none>',
      ];
    },
  },
  ConfigMap: {
    columns: [column('Name'), column('Data', 0, 'integer'), column('Age')],
    cells: (o, now) => [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp, now)],
  },
  MutatingWebhookConfiguration: {
    columns: [column('Name'), column('Webhooks', 0, 'integer'), column('Age')],
    cells: (o, now) => [o.metadata.name, list(o.webhooks).length, age(o.metadata.creationTimestamp, now)],
  },
  Deployment: {
    columns: [column('Name'), column('Ready'), column('Up-to-date', 0, 'integer'), column('Available', 0, 'integer'), column('Age'), ...wideWorkloadColumns],
    cells: (o, now) => [
      o.metadata.name,
      `${count(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}`,
      count(o.status?.updatedReplicas),
      count(o.status?.availableReplicas),
      age(o.metadata.creationTimestamp, now),
      ...wideWorkloadCells(o, o.spec?.template?.spec),
    ],
  },
  StatefulSet: {
    columns: [column('Name'), column('Ready'), column('Age'), column('Containers', 1), column('Images', 1)],
    cells: (o, now) => [
      o.metadata.name,
      `${count(o.status?.readyReplicas)}/${o.spec?.replicas ?? 1}`,
      age(o.metadata.creationTimestamp, now),
      ...wideWorkloadCells(o, o.spec?.template?.spec).slice(0, 2),
    ],
  },
  DaemonSet: {
    columns: [
      column('Name'),
      ...['Desired', 'Current', 'Ready', 'Up-to-date', 'Available'].map((name) => column(name, 0, 'integer')),
      column('Node Selector'),
      column('Age'),
      ...wideWorkloadColumns,
    ],
    cells: (o, now) => [
      o.metadata.name,
      count(o.status?.desiredNumberScheduled),
      count(o.status?.currentNumberScheduled),
      count(o.status?.numberReady),
      count(o.status?.updatedNumberScheduled),
      count(o.status?.numberAvailable),
      labelsText(o.spec?.template?.spec?.nodeSelector),
      age(o.metadata.creationTimestamp, now),
      ...wideWorkloadCells(o, o.spec?.template?.spec),
    ],
  },
  ReplicaSet: {
    columns: [column('Name'), ...['Desired', 'Current', 'Ready'].map((name) => column(name, 0, 'integer')), column('Age'), ...wideWorkloadColumns],
    cells: (o, now) => [
      o.metadata.name,
      o.spec?.replicas ?? 1,
      count(o.status?.replicas),
      count(o.status?.readyReplicas),
      age(o.metadata.creationTimestamp, now),
      ...wideWorkloadCells(o, o.spec?.template?.spec),
    ],
  },
  Job: {
    columns: [column('Name'), column('Status'), column('Completions'), column('Duration'), column('Age'), ...wideWorkloadColumns],
    cells: (o, now) => {
      const start = o.status?.startTime;
      const end = o.status?.completionTime ? Date.parse(o.status.completionTime) : now;
      return [
        o.metadata.name,
        jobStatus(o),
        `${count(o.status?.succeeded)}/${o.spec?.completions ?? 1}`,
        start ? humanDuration(end - Date.parse(start)) : '',
        age(o.metadata.creationTimestamp, now),
        ...wideWorkloadCells(o, o.spec?.template?.spec),
      ];
    },
  },
  CronJob: {
    columns: [column('Name'), column('Schedule'), column('Timezone'), column('Suspend'), column('Active', 0, 'integer'), column('Last Schedule'), column('Age'), ...wideWorkloadColumns],
    cells: (o, now) => [
      o.metadata.name,
      String(o.spec?.schedule ?? ''),
      orNone(o.spec?.timeZone),
      o.spec?.suspend ? 'True' : 'False',
      list(o.status?.active).length,
      o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>',
      age(o.metadata.creationTimestamp, now),
      ...wideWorkloadCells(o, o.spec?.jobTemplate?.spec?.template?.spec),
    ],
  },
};

/** Custom resources without additionalPrinterColumns get Name and Age, like ProxyConfig on a real cluster. */
const DEFAULT_PRINTER: Printer = {
  columns: [column('Name'), { ...column('Age'), description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' }],
  cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
};

export function tableColumns(kind: string): ColumnDefinition[] {
  return (PRINTERS[kind] ?? DEFAULT_PRINTER).columns;
}

export function tableCells(kind: string, object: RawObject, now = Date.now()): Cell[] {
  return (PRINTERS[kind] ?? DEFAULT_PRINTER).cells(object, now);
}

/** Whether an Accept header asks for a meta.k8s.io Table (kubectl get's human-readable output). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((type) => /;\s*as=Table/.test(type) && /;\s*g=meta\.k8s\.io/.test(type));
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObjectParam(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject');
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

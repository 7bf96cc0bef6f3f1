// Which workload owns a pod, and which pod template it was created from.
import { describe, expect, it } from 'vitest';
import { WorkloadIndex, type WorkloadRef } from '../../src/engine/workloads.js';
import type { Labels, OwnerRef } from '../../src/engine/types.js';
import { APP, classicProxy, pod, workload } from './helpers.js';

const rs = workload('ReplicaSet', 'web-7d9c5b8f6', { labels: { app: 'web', 'pod-template-hash': '7d9c5b8f6' } }, 'demo', { kind: 'Deployment', name: 'web' });
const orphanRs = workload('ReplicaSet', 'orphan-abc12', { labels: { app: 'orphan' } });
const deploy = workload('Deployment', 'web', { labels: { app: 'web' } });
const job = workload('Job', 'backup-28900000', { labels: { job: 'backup' } }, 'demo', { kind: 'CronJob', name: 'backup' });
const plainJob = workload('Job', 'migrate', {});
const sts = workload('StatefulSet', 'db', { containers: [APP, classicProxy()] });
const index = new WorkloadIndex([rs, orphanRs, deploy, job, plainJob, sts]);

describe('ownerOf', () => {
  // [name, namespace, owner, pod labels, expected]
  it.each<[string, string, OwnerRef | null, Labels, WorkloadRef | null]>([
    ['bare pod', 'demo', null, {}, null],
    ['ReplicaSet in the state owned by a Deployment', 'demo', { kind: 'ReplicaSet', name: 'web-7d9c5b8f6' }, {}, { kind: 'Deployment', name: 'web' }],
    ['ReplicaSet in the state without owner', 'demo', { kind: 'ReplicaSet', name: 'orphan-abc12' }, {}, { kind: 'ReplicaSet', name: 'orphan-abc12' }],
    ['ReplicaSet not in the state: derived from pod-template-hash', 'demo', { kind: 'ReplicaSet', name: 'api-5f6d7c8b9' }, { 'pod-template-hash': '5f6d7c8b9' }, { kind: 'Deployment', name: 'api' }],
    ['ReplicaSet not in the state, hash does not match its name', 'demo', { kind: 'ReplicaSet', name: 'api-5f6d7c8b9' }, { 'pod-template-hash': 'zzzz' }, { kind: 'ReplicaSet', name: 'api-5f6d7c8b9' }],
    ['ReplicaSet not in the state, no hash label', 'demo', { kind: 'ReplicaSet', name: 'api-5f6d7c8b9' }, {}, { kind: 'ReplicaSet', name: 'api-5f6d7c8b9' }],
    ['ReplicaSet of the same name in another namespace is not used', 'other', { kind: 'ReplicaSet', name: 'web-7d9c5b8f6' }, {}, { kind: 'ReplicaSet', name: 'web-7d9c5b8f6' }],
    ['Job owned by a CronJob', 'demo', { kind: 'Job', name: 'backup-28900000' }, {}, { kind: 'CronJob', name: 'backup' }],
    ['Job without owner', 'demo', { kind: 'Job', name: 'migrate' }, {}, { kind: 'Job', name: 'migrate' }],
    ['Job not in the state', 'demo', { kind: 'Job', name: 'once' }, {}, { kind: 'Job', name: 'once' }],
    ['StatefulSet', 'demo', { kind: 'StatefulSet', name: 'db' }, {}, { kind: 'StatefulSet', name: 'db' }],
    ['DaemonSet', 'demo', { kind: 'DaemonSet', name: 'agent' }, {}, { kind: 'DaemonSet', name: 'agent' }],
    ['static pod mirrored from a Node', 'kube-system', { kind: 'Node', name: 'node-1' }, {}, null],
  ])('%s', (_name, namespace, owner, labels, expected) => {
    expect(index.ownerOf({ namespace, owner, labels })).toEqual(expected);
  });
});

describe('templateOf', () => {
  it('uses the direct owner\'s template when it is in the state', () => {
    const p = pod({ owner: { kind: 'ReplicaSet', name: 'web-7d9c5b8f6' }, labels: { 'pod-template-hash': '7d9c5b8f6' } });
    expect(index.templateOf(p)).toBe(rs.template);
  });

  it('falls back to the top-level workload derived from the pod-template-hash', () => {
    const p = pod({ owner: { kind: 'ReplicaSet', name: 'web-1111111' }, labels: { 'pod-template-hash': '1111111' } });
    expect(index.templateOf(p)).toBe(deploy.template);
  });

  it('StatefulSet template', () => {
    const t = index.templateOf(pod({ owner: { kind: 'StatefulSet', name: 'db' } }));
    expect(t?.containers.map((c) => c.name)).toEqual(['app', 'istio-proxy']);
  });

  it.each<[string, OwnerRef | null]>([
    ['bare pod', null],
    ['unknown ReplicaSet', { kind: 'ReplicaSet', name: 'gone-123' }],
    ['unknown DaemonSet', { kind: 'DaemonSet', name: 'agent' }],
  ])('%s -> null', (_name, owner) => {
    expect(index.templateOf(pod({ owner }))).toBeNull();
  });
});

describe('index lookups', () => {
  it('get and all', () => {
    expect(index.get('Deployment', 'demo', 'web')).toBe(deploy);
    expect(index.get('Deployment', 'other', 'web')).toBeUndefined();
    expect(index.get('StatefulSet', 'demo', 'web')).toBeUndefined();
    expect([...index.all()].map((w) => `${w.kind}/${w.name}`).sort()).toEqual([
      'Deployment/web',
      'Job/backup-28900000',
      'Job/migrate',
      'ReplicaSet/orphan-abc12',
      'ReplicaSet/web-7d9c5b8f6',
      'StatefulSet/db',
    ]);
  });
});

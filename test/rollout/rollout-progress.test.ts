import { describe, expect, it } from 'vitest';
import { rolloutProgress } from '../../src/engine/rollout-progress.js';
import type { RolloutStatus } from '../../src/engine/types.js';

const done: RolloutStatus = { generation: 2, observedGeneration: 2, desired: 3, current: 3, updated: 3, ready: 3, available: 3, paused: false, progressDeadlineExceeded: false };

describe('rolloutProgress follows kubectl rollout status', () => {
  it.each([
    ['Deployment', {}, 'complete'],
    ['Deployment', { observedGeneration: 1 }, 'progressing'],
    ['Deployment', { updated: 2 }, 'progressing'],
    ['Deployment', { current: 4 }, 'progressing'],
    ['Deployment', { available: 2 }, 'progressing'],
    ['Deployment', { progressDeadlineExceeded: true }, 'failed'],
    ['StatefulSet', {}, 'complete'],
    ['StatefulSet', { observedGeneration: 0, generation: 0 }, 'progressing'],
    ['StatefulSet', { ready: 2 }, 'progressing'],
    ['StatefulSet', { currentRevision: 'a', updateRevision: 'b' }, 'progressing'],
    ['DaemonSet', {}, 'complete'],
    ['DaemonSet', { updated: 1 }, 'progressing'],
    ['DaemonSet', { available: 2 }, 'progressing'],
  ] as const)('%s %j -> %s', (kind, change, state) => {
    expect(rolloutProgress(kind, { ...done, ...change }).state).toBe(state);
  });
});

describe('partitioned and OnDelete StatefulSets', () => {
  it.each([
    [{ partition: 1, updated: 2, currentRevision: 'a', updateRevision: 'b' }, 'complete'],
    [{ partition: 1, updated: 1, currentRevision: 'a', updateRevision: 'b' }, 'progressing'],
    [{ partition: 0, updated: 2, currentRevision: 'a', updateRevision: 'b' }, 'progressing'],
  ] as const)('%j -> %s', (change, state) => {
    expect(rolloutProgress('StatefulSet', { ...done, ...change }).state).toBe(state);
  });
});

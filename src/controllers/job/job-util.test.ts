import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobObject } from './job-util.js';
import type { PodObject } from '../replicaset/controller-utils.js';
import {
  formatIndexes, matchPodFailurePolicy, missingIndexes, parseIndexes, pastBackoffLimitOnFailure, podFailureBackoffMs,
  setCondition, wantActive,
} from './job-util.js';

test('indexes round-trip through the compressed form', () => {
  assert.equal(formatIndexes([5, 0, 1, 2, 7, 8]), '0-2,5,7-8');
  assert.deepEqual([...parseIndexes('0-2,5,7-8')].sort((a, b) => a - b), [0, 1, 2, 5, 7, 8]);
  assert.deepEqual([...parseIndexes('0-9', 3)], [0, 1, 2]);
  assert.equal(formatIndexes([]), '');
  assert.deepEqual(missingIndexes(5, new Set([0]), new Set([2]), 2), [1, 3]);
});

test('back-off doubles from 10 s and is capped at 6 min', () => {
  assert.equal(podFailureBackoffMs(0), 0);
  assert.equal(podFailureBackoffMs(1), 10_000);
  assert.equal(podFailureBackoffMs(3), 40_000);
  assert.equal(podFailureBackoffMs(20), 360_000);
});

test('wantActive', () => {
  const job = (completions: number | undefined, parallelism: number): JobObject => ({ metadata: {}, spec: { completions, parallelism, template: {} } });
  assert.equal(wantActive(job(3, 2), 0), 2);
  assert.equal(wantActive(job(3, 2), 2), 1);
  assert.equal(wantActive(job(undefined, 2), 0), 2);
  assert.equal(wantActive(job(undefined, 2), 1), 0);
});

test('pod failure policy matches exit codes and conditions in order', () => {
  const job: JobObject = {
    metadata: {},
    spec: {
      template: {},
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } },
        ],
      },
    },
  };
  const pod = (code: number, disrupted = false): PodObject => ({
    metadata: { name: 'p', namespace: 'ns' },
    status: {
      phase: 'Failed',
      ...(disrupted ? { conditions: [{ type: 'DisruptionTarget', status: 'True' }] } : {}),
      containerStatuses: [{ name: 'main', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code } } }],
    },
  });
  assert.equal(matchPodFailurePolicy(job, pod(42))?.action, 'FailJob');
  assert.equal(matchPodFailurePolicy(job, pod(42))?.message, 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1');
  assert.equal(matchPodFailurePolicy(job, pod(42, true))?.action, 'Ignore');
  assert.equal(matchPodFailurePolicy(job, pod(1)), undefined);
});

test('OnFailure restarts count against backoffLimit', () => {
  const job: JobObject = { metadata: {}, spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [] } } } };
  const pod = (restarts: number): PodObject => ({
    metadata: {}, status: { phase: 'Running', containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: restarts }] },
  });
  assert.equal(pastBackoffLimitOnFailure(job, [pod(1)]), false);
  assert.equal(pastBackoffLimitOnFailure(job, [pod(1), pod(1)]), true);
});

test('setCondition keeps the transition time when the status does not change', () => {
  const conds: Parameters<typeof setCondition>[0] = [];
  assert.ok(setCondition(conds, 'Suspended', 'True', 'JobSuspended', 'Job suspended', 1000));
  assert.ok(!setCondition(conds, 'Suspended', 'True', 'JobSuspended', 'Job suspended', 5000));
  assert.ok(setCondition(conds, 'Suspended', 'False', 'JobResumed', 'Job resumed', 9000));
  assert.equal(conds.length, 1);
  assert.equal(conds[0]?.reason, 'JobResumed');
});

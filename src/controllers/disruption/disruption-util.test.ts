import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PodObject } from '../replicaset/controller-utils.js';
import { DELETION_TIMEOUT_MS, countHealthy, disruptionsAllowed, expectedAndDesired, pruneDisruptedPods, scaledValue } from './disruption-util.js';

const pod = (name: string, ready: boolean, deleting = false): PodObject => ({
  metadata: { name, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('disruption math', () => {
  it('scales percentages', () => {
    assert.equal(scaledValue('50%', 3, true), 2);
    assert.equal(scaledValue('50%', 3, false), 1);
    assert.equal(scaledValue(2, 10, true), 2);
  });
  const cases = [
    { name: 'minAvailable int', spec: { minAvailable: 2 }, pods: 3, scale: 0, want: { expected: 3, desired: 2 } },
    { name: 'minAvailable percent', spec: { minAvailable: '50%' }, pods: 3, scale: 5, want: { expected: 5, desired: 3 } },
    { name: 'maxUnavailable int', spec: { maxUnavailable: 1 }, pods: 3, scale: 4, want: { expected: 4, desired: 3 } },
    { name: 'maxUnavailable percent rounds up', spec: { maxUnavailable: '30%' }, pods: 3, scale: 4, want: { expected: 4, desired: 2 } },
    { name: 'maxUnavailable above scale', spec: { maxUnavailable: 5 }, pods: 3, scale: 4, want: { expected: 4, desired: 0 } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(expectedAndDesired(c.spec, c.pods, c.scale), c.want));
  }
  it('counts healthy pods and allowed disruptions', () => {
    const pods = [pod('a', true), pod('b', true), pod('c', false), pod('d', true, true), pod('e', true)];
    assert.equal(countHealthy(pods, { e: '2024-01-01T00:00:00Z' }), 2);
    assert.equal(disruptionsAllowed(3, 2, 3), 1);
    assert.equal(disruptionsAllowed(1, 2, 3), 0);
    assert.equal(disruptionsAllowed(3, 0, 0), 0);
  });
  it('expires disruptedPods entries', () => {
    const now = Date.parse('2024-01-01T00:10:00Z');
    const recent = new Date(now - 1000).toISOString();
    const old = new Date(now - DELETION_TIMEOUT_MS - 1).toISOString();
    const { kept, recheckAt } = pruneDisruptedPods({ a: recent, b: old, gone: recent, d: recent }, [pod('a', true), pod('b', true), pod('d', true, true)], now);
    assert.deepEqual(kept, { a: recent });
    assert.equal(recheckAt, Date.parse(recent) + DELETION_TIMEOUT_MS);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSetObject, NodeObject } from './daemon-set-utils.js';
import { newDaemonPod, nodeShouldRunDaemonPod, targetNodeName } from './daemon-set-utils.js';

const ds = (spec: Record<string, unknown> = {}): DaemonSetObject => ({
  metadata: { name: 'agent', namespace: 'ns', uid: 'u' },
  spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [], ...spec } } },
});
const node = (name: string, labels: Record<string, string> = {}, taints: { key: string; effect: string; value?: string }[] = []): NodeObject =>
  ({ metadata: { name, labels }, spec: { taints } });

test('taints: NoSchedule blocks new pods, NoExecute also evicts; daemon tolerations apply', () => {
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('a')), [true, true]);
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('a', {}, [{ key: 'x', effect: 'NoSchedule' }])), [false, true]);
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('a', {}, [{ key: 'x', effect: 'NoExecute' }])), [false, false]);
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('a', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }])), [true, true]);
  assert.deepEqual(nodeShouldRunDaemonPod(ds(), node('a', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }])), [true, true]);
  const tolerant = ds({ tolerations: [{ key: 'x', operator: 'Exists' }] });
  assert.deepEqual(nodeShouldRunDaemonPod(tolerant, node('a', {}, [{ key: 'x', effect: 'NoExecute' }])), [true, true]);
});

test('nodeSelector and node affinity', () => {
  assert.deepEqual(nodeShouldRunDaemonPod(ds({ nodeSelector: { role: 'edge' } }), node('a')), [false, false]);
  assert.deepEqual(nodeShouldRunDaemonPod(ds({ nodeSelector: { role: 'edge' } }), node('a', { role: 'edge' })), [true, true]);
  const aff = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } } });
  assert.deepEqual(nodeShouldRunDaemonPod(aff, node('a', { zone: 'z2' })), [false, false]);
  assert.deepEqual(nodeShouldRunDaemonPod(aff, node('a', { zone: 'z1' })), [true, true]);
});

test('pods target their node through matchFields metadata.name', () => {
  const pod = newDaemonPod(ds(), ds().spec?.template, 'h1', 'n7');
  assert.equal(targetNodeName(pod), 'n7');
  assert.equal(pod.metadata.labels?.['controller-revision-hash'], 'h1');
  assert.equal(pod.metadata.generateName, 'agent-');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import type { PodStats } from '../../kubelet/stats/summary-api.js';
import { cpuQuantity, memoryQuantity, nodeMetrics, podMetrics } from './convert.js';

const NOW = '2025-01-01T00:01:00Z';

test('quantities: nanocores and bytes in canonical form, as metrics-server marshals them', () => {
  assert.equal(cpuQuantity(123_456_789), '123456789n');
  assert.equal(cpuQuantity(250_000_000), '250m');
  assert.equal(cpuQuantity(2_000_000_000), '2');
  assert.equal(cpuQuantity(0), '0');
  assert.equal(memoryQuantity(2860 * 1024), '2860Ki');
  assert.equal(memoryQuantity(64 * 1024 * 1024), '64Mi');
  assert.equal(memoryQuantity(1500), '1500');
});

test('node metrics: usage from the rate and the working set, labels of the node', () => {
  const node: KubeObject = { metadata: { name: 'n1', labels: { zone: 'a' } } };
  const m = nodeMetrics(node, {
    nodeName: 'n1', startTime: '2025-01-01T00:00:00Z',
    cpu: { time: '2025-01-01T00:00:50Z', usageNanoCores: 1_234_567, usageCoreNanoSeconds: 99 },
    memory: { time: '2025-01-01T00:00:50Z', workingSetBytes: 512 * 1024 * 1024, usageBytes: 1 },
  }, '10s', NOW);
  assert.deepEqual(m, {
    kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'n1', creationTimestamp: NOW, labels: { zone: 'a' } },
    timestamp: '2025-01-01T00:00:50Z', window: '10s', usage: { cpu: '1234567n', memory: '512Mi' },
  });
  // No rate yet (one sample): no metrics.
  assert.equal(nodeMetrics(node, { nodeName: 'n1', startTime: '', cpu: { time: NOW, usageCoreNanoSeconds: 5 }, memory: { time: NOW, workingSetBytes: 1 } }, '10s', NOW), undefined);
});

test('pod metrics: containers with both figures; none means the pod is left out', () => {
  const pod: KubeObject = { metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } } };
  const stats: PodStats = {
    podRef: { name: 'web', namespace: 'ns', uid: 'u' }, startTime: NOW,
    containers: [
      { name: 'app', startTime: NOW, cpu: { time: '2025-01-01T00:00:40Z', usageNanoCores: 5e6 }, memory: { time: NOW, workingSetBytes: 8 * 1024 * 1024 } },
      { name: 'side', startTime: NOW, cpu: { time: '2025-01-01T00:00:45Z', usageNanoCores: 1 }, memory: { time: NOW, workingSetBytes: 4096 } },
      { name: 'new', startTime: NOW, memory: { time: NOW, workingSetBytes: 4096 } },
    ],
  };
  assert.deepEqual(podMetrics(pod, stats, '10s', NOW), {
    kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'web', namespace: 'ns', creationTimestamp: NOW, labels: { app: 'web' } },
    timestamp: '2025-01-01T00:00:45Z', window: '10s',
    containers: [{ name: 'app', usage: { cpu: '5m', memory: '8Mi' } }, { name: 'side', usage: { cpu: '1n', memory: '4Ki' } }],
  });
  assert.equal(podMetrics(pod, { ...stats, containers: [stats.containers[2]!] }, '10s', NOW), undefined);
});

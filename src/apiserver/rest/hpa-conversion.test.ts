import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hpaV1Conversion } from './hpa-conversion.js';

test('v1 target CPU becomes a v2 cpu Utilization metric and back', () => {
  const v1 = {
    apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
    status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 75 },
  };
  const stored = hpaV1Conversion.toStorage(v1);
  assert.equal(stored.apiVersion, 'autoscaling/v2');
  assert.deepEqual((stored.spec as { metrics: unknown }).metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
  assert.equal((stored.spec as Record<string, unknown>).targetCPUUtilizationPercentage, undefined);
  const back = hpaV1Conversion.fromStorage(stored);
  assert.deepEqual(back.spec, v1.spec);
  assert.deepEqual(back.status, v1.status);
});

test('v2-only metrics are not shown in v1', () => {
  const v2 = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'q' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'q' }, maxReplicas: 3, metrics: [{ type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } }] },
  };
  const v1 = hpaV1Conversion.fromStorage(v2);
  assert.deepEqual(v1.spec, { scaleTargetRef: { kind: 'Deployment', name: 'q' }, maxReplicas: 3 });
});

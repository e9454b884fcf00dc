import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apimachinery/generated/types.js';
import type { Container, ContainerFilter, ContainerStats } from '../runtime/runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../runtime/runtime.js';
import { buildSummary } from './summary-builder.js';
import { createStatsSampler } from './runtime-sampler.js';
import { createSimulatedSummary, SYSTEM_CPU_NANOCORES, SYSTEM_MEMORY_BYTES } from './simulated-summary.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const pod = { name: 'web', namespace: 'default', uid: 'u1' };

test('summary: containers grouped by pod with pod sums', () => {
  const s = buildSummary({ nodeName: 'n1', startMs: T0, cpu: { timeMs: T0 + 5000, usageNanoCores: 7 } }, [
    { pod, name: 'b', startMs: T0 + 2000, cpu: { timeMs: T0 + 5000, usageNanoCores: 100, usageCoreNanoSeconds: 1000 }, memory: { timeMs: T0 + 5000, workingSetBytes: 4096 } },
    { pod, name: 'a', startMs: T0 + 1000, cpu: { timeMs: T0 + 6000, usageNanoCores: 50, usageCoreNanoSeconds: 500 }, memory: { timeMs: T0 + 5000, workingSetBytes: 1024, usageBytes: 2048 } },
    { pod: { name: 'db', namespace: 'data', uid: 'u2' }, name: 'pg', startMs: T0, memory: { timeMs: T0 + 5000, workingSetBytes: 10 } },
  ]);
  assert.deepEqual(s.node, { nodeName: 'n1', startTime: '2025-01-01T00:00:00Z', cpu: { time: '2025-01-01T00:00:05Z', usageNanoCores: 7 } });
  assert.deepEqual(s.pods.map((p) => p.podRef.name), ['db', 'web']);
  const web = s.pods[1]!;
  assert.deepEqual(web.podRef, pod);
  assert.equal(web.startTime, '2025-01-01T00:00:01Z');
  assert.deepEqual(web.containers.map((c) => c.name), ['a', 'b']);
  assert.deepEqual(web.cpu, { time: '2025-01-01T00:00:06Z', usageNanoCores: 150, usageCoreNanoSeconds: 1500 });
  assert.deepEqual(web.memory, { time: '2025-01-01T00:00:05Z', workingSetBytes: 5120, usageBytes: 2048 });
  const db = s.pods[0]!;
  assert.equal(db.cpu, undefined);
  assert.equal(db.containers[0]!.cpu, undefined);
  assert.equal(db.memory?.workingSetBytes, 10);
});

function labelsFor(name: string): Record<string, string> {
  return { [LABEL_POD_NAME]: pod.name, [LABEL_POD_NAMESPACE]: pod.namespace, [LABEL_POD_UID]: pod.uid, [LABEL_CONTAINER_NAME]: name };
}

function container(id: string, name: string): Container {
  return {
    id, podSandboxId: 's', metadata: { name, attempt: 0 }, image: { image: 'busybox' }, imageRef: '', state: 'CONTAINER_RUNNING',
    createdAt: (T0 + 1000) * 1e6, labels: labelsFor(name), annotations: {},
  };
}

test('runtime sampler: rates from the last two samples of node and containers', async () => {
  let now = T0 + 10_000;
  let cpu = 0;
  let nodeJiffyNs = 50e9;
  const filters: (ContainerFilter | undefined)[] = [];
  const runtime = {
    async listContainers(f?: ContainerFilter) {
      filters.push(f);
      return [container('c1', 'app')];
    },
    async listContainerStats(): Promise<ContainerStats[]> {
      return [
        {
          attributes: { id: 'c1', metadata: { name: 'app', attempt: 0 }, labels: labelsFor('app'), annotations: {} },
          cpu: { timestamp: now * 1e6, usageCoreNanoSeconds: cpu }, memory: { timestamp: now * 1e6, workingSetBytes: 3 * 1024 * 1024, usageBytes: 4 * 1024 * 1024 },
        },
        // A container that is not running (not listed) is left out.
        { attributes: { id: 'gone', metadata: { name: 'old', attempt: 0 }, labels: labelsFor('old'), annotations: {} } },
      ];
    },
  };
  const sampler = createStatsSampler({
    nodeName: 'n1', runtime, now: () => now,
    readNode: () => ({
      stat: { usageCoreNanoSeconds: nodeJiffyNs, bootMs: T0 },
      memory: { totalBytes: 8e9, availableBytes: 6e9, workingSetBytes: 2e9, usageBytes: 7e9 },
    }),
  });
  // The first summary samples once: cumulative figures, no rate yet.
  let s = await sampler.summary();
  assert.equal(filters[0]?.state, 'CONTAINER_RUNNING');
  assert.equal(s.node.cpu?.usageNanoCores, undefined);
  assert.equal(s.node.memory?.workingSetBytes, 2e9);
  assert.equal(s.pods.length, 1);
  assert.equal(s.pods[0]!.containers[0]!.cpu?.usageNanoCores, undefined);
  // 10 s later: the container used 2.5 s of CPU, the node 15 s.
  now += 10_000;
  cpu += 2.5e9;
  nodeJiffyNs += 15e9;
  await sampler.sample();
  s = await sampler.summary();
  assert.equal(s.node.cpu?.usageNanoCores, 1_500_000_000);
  assert.equal(s.node.cpu?.usageCoreNanoSeconds, 65e9);
  const c = s.pods[0]!.containers[0]!;
  assert.deepEqual(s.pods[0]!.containers.map((x) => x.name), ['app']);
  assert.equal(c.cpu?.usageNanoCores, 250_000_000);
  assert.equal(c.cpu?.usageCoreNanoSeconds, 2.5e9);
  assert.equal(c.memory?.workingSetBytes, 3 * 1024 * 1024);
  assert.equal(s.pods[0]!.cpu?.usageNanoCores, 250_000_000);
});

test('simulated summary: annotation, then request, then half the limit, then defaults', async () => {
  const specPod = {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', annotations: { 'sim.skiff.io/cpu-usage.side': '5m' } },
    spec: {
      containers: [
        { name: 'app', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
        { name: 'side', resources: { limits: { cpu: '1', memory: '100Mi' } } },
        { name: 'bare' },
      ],
    },
  } as unknown as Pod;
  const now = T0 + 11_000;
  const summary = createSimulatedSummary({
    nodeName: 'sim-0', startMs: T0, now: () => now, pods: () => [specPod],
    runtime: { listContainers: async () => [container('1', 'app'), container('2', 'side'), container('3', 'bare')] },
  });
  const s = await summary.summary();
  const byName = new Map(s.pods[0]!.containers.map((c) => [c.name, c]));
  assert.equal(byName.get('app')?.cpu?.usageNanoCores, 250e6);
  // 250m for the 10 s since the container was created.
  assert.equal(byName.get('app')?.cpu?.usageCoreNanoSeconds, 2.5e9);
  assert.equal(byName.get('app')?.memory?.workingSetBytes, 64 * 1024 * 1024);
  assert.equal(byName.get('side')?.cpu?.usageNanoCores, 5e6);
  assert.equal(byName.get('side')?.memory?.workingSetBytes, 50 * 1024 * 1024);
  assert.equal(byName.get('bare')?.cpu?.usageNanoCores, 1e6);
  assert.equal(byName.get('bare')?.memory?.workingSetBytes, 4 * 1024 * 1024);
  assert.equal(s.node.cpu?.usageNanoCores, SYSTEM_CPU_NANOCORES + 256e6);
  assert.equal(s.node.memory?.workingSetBytes, SYSTEM_MEMORY_BYTES + (64 + 50 + 4) * 1024 * 1024);
});

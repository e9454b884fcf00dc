import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../apimachinery/object.js';
import type { Summary } from '../../kubelet/stats/summary-api.js';
import { createSummaryCache } from './summary-client.js';

function node(name: string, uid = name): KubeObject {
  return { metadata: { name, uid } };
}

function summary(name: string, n: number): Summary {
  return { node: { nodeName: name, startTime: '', cpu: { time: '', usageNanoCores: n } }, pods: [] };
}

test('summary cache: one scrape per node within the TTL; failures are not kept', async () => {
  let now = 0;
  const calls: string[] = [];
  let failB = true;
  const cache = createSummaryCache({
    ttlMs: 10_000, now: () => now,
    fetch: async (n) => {
      const name = n.metadata.name ?? '';
      calls.push(name);
      if (name === 'b' && failB) throw new Error('unreachable');
      return summary(name, calls.length);
    },
  });
  let got = await cache.summaries([node('a'), node('b')]);
  assert.deepEqual([...got.keys()], ['a']);
  now = 5_000;
  failB = false;
  got = await cache.summaries([node('a'), node('b')]);
  assert.deepEqual([...got.keys()].sort(), ['a', 'b']);
  assert.deepEqual(calls, ['a', 'b', 'b']);
  now = 10_000;
  got = await cache.summaries([node('a')]);
  assert.equal(got.get('a')?.node.cpu?.usageNanoCores, 4);
  // A re-created node (new uid) is scraped afresh.
  await cache.summaries([node('b', 'other')]);
  assert.deepEqual(calls, ['a', 'b', 'b', 'a', 'b']);
});

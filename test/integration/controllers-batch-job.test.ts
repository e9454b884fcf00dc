/**
 * The Job controller through a real `skiff server` (no nodes run pods: the test plays kubelet by
 * writing pod status through `pods/<name>/status`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { JobStatus, PodStatus } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

type Pod = KubeObject & { status?: PodStatus };
type Job = KubeObject & { status?: JobStatus };

let server: TestServer;
let client: RestClient;

before(async () => {
  // The test plays the kubelet (writes pod status) on a cluster without nodes: no scheduler
  // competing for the same pods' status.
  server = await startServer({ args: ['--disable-scheduler'] });
  client = clientFromKubeconfig(server.kubeconfig);
});

after(async () => {
  client?.close();
  await server?.cleanup();
});

async function namespace(name: string): Promise<string> {
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function job(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

async function podsOf(ns: string, jobName: string): Promise<Pod[]> {
  const list = await client.list<Pod>(PODS, { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${jobName}` });
  return list.items;
}

async function finishPod(pod: Pod, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.patch(PODS, pod.metadata.name ?? '', {
    namespace: pod.metadata.namespace, subresource: 'status', type: 'merge',
    patch: {
      status: {
        phase,
        containerStatuses: [{
          name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0,
          state: { terminated: { exitCode, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: now, finishedAt: now } },
        }],
      },
    },
  });
}

function condition(j: Job, type: string): { status: string; reason?: string } | undefined {
  return j.status?.conditions?.find((c) => c.type === type);
}

test('completions 3 parallelism 2 completes after pods succeed, never more than 2 active', async () => {
  const ns = await namespace('job-complete');
  await client.create(JOBS, job('work', { completions: 3, parallelism: 2 }), { namespace: ns });
  let finished = 0;
  const j = await eventually('job Complete', async () => {
    const pods = await podsOf(ns, 'work');
    const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && !p.metadata.deletionTimestamp);
    assert.ok(running.length <= 2, `at most 2 active pods, saw ${running.length}`);
    for (const p of running) {
      assert.ok(p.metadata.finalizers?.includes('batch.kubernetes.io/job-tracking'), 'tracking finalizer');
      await finishPod(p, 'Succeeded');
      finished++;
    }
    const cur = await client.get<Job>(JOBS, 'work', { namespace: ns });
    return condition(cur, 'Complete')?.status === 'True' ? cur : undefined;
  });
  assert.equal(finished, 3);
  assert.equal(j.status?.succeeded, 3);
  assert.equal(j.status?.active, undefined);
  assert.ok(j.status?.completionTime);
  assert.equal(condition(j, 'SuccessCriteriaMet')?.reason, 'CompletionsReached');
  assert.equal(condition(j, 'Complete')?.reason, 'CompletionsReached');
  // Finalizers are removed from counted pods.
  await eventually('finalizers removed', async () => {
    const pods = await podsOf(ns, 'work');
    return pods.every((p) => !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking')) ? true : undefined;
  });
});

test('backoffLimit exceeded fails the job with BackoffLimitExceeded', async () => {
  const ns = await namespace('job-fail');
  await client.create(JOBS, job('bad', { backoffLimit: 0 }), { namespace: ns });
  const pod = await eventually('first pod', async () => (await podsOf(ns, 'bad'))[0]);
  await finishPod(pod, 'Failed');
  const j = await eventually('job Failed', async () => {
    const cur = await client.get<Job>(JOBS, 'bad', { namespace: ns });
    return condition(cur, 'Failed')?.status === 'True' ? cur : undefined;
  });
  assert.equal(condition(j, 'Failed')?.reason, 'BackoffLimitExceeded');
  assert.equal(condition(j, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
  assert.equal(j.status?.failed, 1);
  assert.equal((await podsOf(ns, 'bad')).length, 1, 'no replacement pod');
});

test('Indexed job: one pod per index with hostname and index annotation', async () => {
  const ns = await namespace('job-indexed');
  await client.create(JOBS, job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }), { namespace: ns });
  const pods = await eventually('3 pods', async () => {
    const p = await podsOf(ns, 'idx');
    return p.length === 3 ? p : undefined;
  });
  const indexes = pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
  assert.deepEqual(indexes, ['0', '1', '2']);
  for (const p of pods) {
    const i = p.metadata.labels?.['batch.kubernetes.io/job-completion-index'];
    assert.equal((p as KubeObject & { spec?: { hostname?: string } }).spec?.hostname, `idx-${i}`);
  }
  const p0 = pods.find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === '0');
  assert.ok(p0);
  await finishPod(p0, 'Succeeded');
  // completedIndexes and succeeded may land in separate status writes (pods are counted once their
  // tracking finalizer is removed, as upstream): wait for both.
  const j = await eventually('completedIndexes 0 and succeeded 1', async () => {
    const cur = await client.get<Job>(JOBS, 'idx', { namespace: ns });
    return cur.status?.completedIndexes === '0' && cur.status.succeeded === 1 ? cur : undefined;
  });
  assert.equal(j.status?.succeeded, 1);
});

test('activeDeadlineSeconds fails the job with DeadlineExceeded and removes its pods', async () => {
  const ns = await namespace('job-deadline');
  await client.create(JOBS, job('slow', { activeDeadlineSeconds: 2 }), { namespace: ns });
  const j = await eventually('job Failed', async () => {
    const cur = await client.get<Job>(JOBS, 'slow', { namespace: ns });
    return condition(cur, 'Failed')?.status === 'True' ? cur : undefined;
  });
  assert.equal(condition(j, 'Failed')?.reason, 'DeadlineExceeded');
  await eventually('pods gone', async () => ((await podsOf(ns, 'slow')).length === 0 ? true : undefined));
});

test('suspend deletes active pods and sets Suspended', async () => {
  const ns = await namespace('job-suspend');
  await client.create(JOBS, job('s', { suspend: true, parallelism: 2, completions: 2 }), { namespace: ns });
  const j = await eventually('Suspended', async () => {
    const cur = await client.get<Job>(JOBS, 's', { namespace: ns });
    return condition(cur, 'Suspended')?.status === 'True' ? cur : undefined;
  });
  assert.equal(condition(j, 'Suspended')?.reason, 'JobSuspended');
  assert.equal((await podsOf(ns, 's')).length, 0);
  await client.patch(JOBS, 's', { namespace: ns, type: 'merge', patch: { spec: { suspend: false } } });
  await eventually('2 pods after resume', async () => ((await podsOf(ns, 's')).length === 2 ? true : undefined));
});

test('ttlSecondsAfterFinished deletes the finished job', async () => {
  const ns = await namespace('job-ttl');
  await client.create(JOBS, job('t', { ttlSecondsAfterFinished: 1 }), { namespace: ns });
  const pod = await eventually('pod', async () => (await podsOf(ns, 't'))[0]);
  await finishPod(pod, 'Succeeded');
  await eventually('job deleted', async () => {
    const list = await client.list(JOBS, { namespace: ns });
    return list.items.length === 0 ? true : undefined;
  });
});

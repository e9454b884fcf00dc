/**
 * The CronJob controller through a real `skiff server`. To stay quick, runs are made due at once
 * by writing a past `status.lastScheduleTime` (the controller then starts the most recent missed
 * run); the schedule arithmetic itself is unit-tested with an injected clock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/apimachinery/object.js';
import type { CronJobStatus, JobStatus } from '../../src/apimachinery/generated/types.js';
import type { RestClient } from '../../src/client/rest-client.js';
import { clientFromKubeconfig } from '../../src/client/rest-client.js';
import type { TestServer } from '../helpers/cluster.js';
import { startServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' };
const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

type Job = KubeObject & { status?: JobStatus };
type CronJob = KubeObject & { status?: CronJobStatus };

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

function cronJob(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name },
    spec: {
      schedule: '*/1 * * * *',
      ...spec,
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
    },
  };
}

async function makeDue(ns: string, name: string, minutesAgo = 5): Promise<void> {
  const past = new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await client.patch(CRONJOBS, name, { namespace: ns, subresource: 'status', type: 'merge', patch: { status: { lastScheduleTime: past } } });
}

test('a due run creates <name>-<minutes> with the scheduled-timestamp annotation and status', async () => {
  const ns = 'cron-due';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(CRONJOBS, cronJob('hello'), { namespace: ns });
  await makeDue(ns, 'hello');
  const job = await eventually('a job', async () => (await client.list<Job>(JOBS, { namespace: ns })).items[0]);
  const minutes = Math.floor(Date.now() / 60_000);
  const m = /^hello-(\d+)$/.exec(job.metadata.name ?? '');
  assert.ok(m, job.metadata.name);
  assert.ok(Math.abs(Number(m[1]) - minutes) <= 1);
  const stamp = job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
  assert.ok(stamp && Date.parse(stamp) === Number(m[1]) * 60_000, stamp);
  assert.equal(job.metadata.ownerReferences?.[0]?.kind, 'CronJob');
  const cj = await eventually('status.active', async () => {
    const cur = await client.get<CronJob>(CRONJOBS, 'hello', { namespace: ns });
    return cur.status?.active?.length === 1 ? cur : undefined;
  });
  assert.equal(cj.status?.active?.[0]?.name, job.metadata.name);
  assert.equal(Date.parse(cj.status?.lastScheduleTime ?? ''), Number(m[1]) * 60_000);
  // The job's pod runs (the Job controller owns it).
  await eventually('job pod', async () => {
    const pods = await client.list(PODS, { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${job.metadata.name ?? ''}` });
    return pods.items.length === 1 ? true : undefined;
  });
});

test('Forbid skips a run while one is active; suspend stops runs', async () => {
  const ns = 'cron-forbid';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(CRONJOBS, cronJob('f', { concurrencyPolicy: 'Forbid' }), { namespace: ns });
  await makeDue(ns, 'f', 10);
  await eventually('first job', async () => ((await client.list(JOBS, { namespace: ns })).items.length === 1 ? true : undefined));
  await makeDue(ns, 'f', 3);
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal((await client.list(JOBS, { namespace: ns })).items.length, 1);
  const suspended = 'cron-suspend';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: suspended } });
  await client.create(CRONJOBS, cronJob('s', { suspend: true }), { namespace: suspended });
  await makeDue(suspended, 's');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal((await client.list(JOBS, { namespace: suspended })).items.length, 0);
});

test('kubectl create job --from=cronjob runs the job', async () => {
  const ns = 'cron-manual';
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await client.create(CRONJOBS, cronJob('m', { schedule: '0 0 1 1 *' }), { namespace: ns });
  await kubectlOk(server, ['-n', ns, 'create', 'job', 'manual', '--from=cronjob/m']);
  await eventually('manual job pod', async () => {
    const pods = await client.list(PODS, { namespace: ns, labelSelector: 'batch.kubernetes.io/job-name=manual' });
    return pods.items.length === 1 ? true : undefined;
  });
});

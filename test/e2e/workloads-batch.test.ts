/**
 * Jobs and CronJobs through the real kubectl against `skiff server --simulated-nodes 3`. Simulated
 * containers exit as their pod annotations say (`sim.skiff.io/exit-code`, `sim.skiff.io/exit-after`).
 * A Job of completions 5 / parallelism 2 completes with never more than 2 active pods (watched with
 * `kubectl get pods -w -o json`); a failing Job stops at backoffLimit (BackoffLimitExceeded); an
 * activeDeadlineSeconds Job fails with DeadlineExceeded; a CronJob every minute creates Jobs on
 * schedule and keeps its history limit; Forbid skips a run while one is active. The CronJob cases
 * span two minute boundaries, so the tests of this file run concurrently (one namespace each).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { at, isObject, kubectlBackground, parseTable, rowOf } from './kubectl-util.js';
import type { JsonObject } from './kubectl-util.js';
import { createJsonStreamParser, items, namespaced, readyNodes, until } from './workloads-util.js';

function podTemplate(annotations: Record<string, string>, labels: Record<string, string> = {}): JsonObject {
  return {
    metadata: { annotations, labels },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox' }] },
  };
}

function job(name: string, spec: JsonObject, annotations: Record<string, string>): JsonObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { ...spec, template: podTemplate(annotations) } };
}

function cronJob(name: string, spec: JsonObject, annotations: Record<string, string>): JsonObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name },
    spec: { schedule: '*/1 * * * *', ...spec, jobTemplate: { spec: { backoffLimit: 0, template: podTemplate(annotations, { cron: name }) } } },
  };
}

function condition(obj: JsonObject, type: string): JsonObject | undefined {
  const conds = at(obj, 'status.conditions');
  if (!Array.isArray(conds)) return undefined;
  return conds.filter(isObject).find((c) => c.type === type && c.status === 'True');
}

/** Jobs controlled by the CronJob `name`, oldest first (names end in the scheduled minute). */
function ownedJobs(list: JsonObject, name: string): JsonObject[] {
  return items(list).filter((j) => {
    const refs = at(j, 'metadata.ownerReferences');
    return Array.isArray(refs) && refs.some((r) => isObject(r) && r.kind === 'CronJob' && r.name === name && r.controller === true);
  }).sort((a, b) => String(at(a, 'metadata.name')).localeCompare(String(at(b, 'metadata.name'))));
}

/** The minute (Unix time / 60) a CronJob's Job was scheduled for, from its name `<cronjob>-<minute>`. */
function scheduledMinute(jobName: string): number {
  const m = /-(\d+)$/.exec(jobName);
  if (!m) throw new Error(`not a scheduled job name: ${jobName}`);
  return Number(m[1]);
}

describe('jobs and cronjobs through kubectl', { concurrency: true }, () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3'] });
    await readyNodes(server, 3);
    for (const ns of ['batch-par', 'batch-fail', 'batch-deadline', 'batch-cron', 'batch-forbid']) {
      await kubectlOk(server, ['create', 'namespace', ns]);
      await until(`default ServiceAccount in ${ns}`, async () => (await kubectlOk(server, ['-n', ns, 'get', 'serviceaccounts', '-o', 'name'])).includes('serviceaccount/default'));
    }
  });

  after(async () => {
    await server?.cleanup();
  });

  it('completions 5 / parallelism 2 completes with never more than 2 active pods', async (t) => {
    const { ok, json, apply } = namespaced(() => server, 'batch-par');
    const watcher = kubectlBackground(server, ['-n', 'batch-par', 'get', 'pods', '-w', '-o', 'json']);
    const parser = createJsonStreamParser();
    const active = new Map<string, boolean>();
    const seen = new Set<string>();
    let maxActive = 0;
    watcher.child.stdout.on('data', (chunk: string) => {
      for (const pod of parser.push(chunk)) {
        const uid = String(at(pod, 'metadata.uid'));
        seen.add(uid);
        const phase = at(pod, 'status.phase');
        const isActive = phase !== 'Succeeded' && phase !== 'Failed' && at(pod, 'metadata.deletionTimestamp') === undefined;
        if (isActive) active.set(uid, true);
        else active.delete(uid);
        maxActive = Math.max(maxActive, active.size);
      }
    });
    try {
      await apply(job('par', { completions: 5, parallelism: 2, backoffLimit: 0 }, { 'sim.skiff.io/exit-code': '0', 'sim.skiff.io/exit-after': '1s' }));
      const row = await until('par Complete 5/5', async () => {
        const r = rowOf(parseTable(await ok(['get', 'jobs'])), 'par');
        return r?.STATUS === 'Complete' && r.COMPLETIONS === '5/5' ? r : undefined;
      }, 90_000);
      assert.deepEqual(parseTable(await ok(['get', 'jobs'])).header, ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
      assert.equal(row.NAME, 'par');
      await until('the watcher saw 5 pods finish', async () => seen.size >= 5 && active.size === 0);
    } finally {
      watcher.kill();
    }
    t.diagnostic(`par: ${seen.size} pods, at most ${maxActive} active at once`);
    assert.ok(maxActive <= 2, `never more than 2 active pods (saw ${maxActive})`);
    assert.ok(maxActive >= 1);
    const done = await json(['job', 'par']);
    assert.equal(at(done, 'status.succeeded'), 5);
    assert.ok(condition(done, 'Complete'), 'Complete condition');
    const pods = parseTable(await ok(['get', 'pods', '-l', 'job-name=par']));
    assert.equal(pods.rows.filter((r) => r[2] === 'Completed').length, 5);
  });

  it('a failing Job stops at backoffLimit with reason BackoffLimitExceeded', async () => {
    const { ok, json, apply } = namespaced(() => server, 'batch-fail');
    await apply(job('fail', { backoffLimit: 1 }, { 'sim.skiff.io/exit-code': '1' }));
    const failed = await until('fail Failed', async () => {
      const j = await json(['job', 'fail']);
      return condition(j, 'Failed') ? j : undefined;
    }, 120_000);
    const cond = condition(failed, 'Failed')!;
    assert.equal(cond.reason, 'BackoffLimitExceeded');
    assert.equal(cond.message, 'Job has reached the specified backoff limit');
    assert.equal(at(failed, 'status.failed'), 2);
    assert.equal(rowOf(parseTable(await ok(['get', 'jobs'])), 'fail')?.STATUS, 'Failed');
    const pods = parseTable(await ok(['get', 'pods', '-l', 'job-name=fail']));
    assert.equal(pods.rows.length, 2, 'backoffLimit 1: two pods, no third');
    assert.ok(pods.rows.every((r) => r[2] === 'Error'), pods.rows.map((r) => r.join(' ')).join('\n'));
    const described = await ok(['describe', 'job', 'fail']);
    assert.match(described, /Warning\s+BackoffLimitExceeded\s+.*Job has reached the specified backoff limit/);
  });

  it('an activeDeadlineSeconds Job fails with DeadlineExceeded', async () => {
    const { ok, json, apply } = namespaced(() => server, 'batch-deadline');
    await apply(job('slow', { activeDeadlineSeconds: 3, backoffLimit: 6 }, { 'sim.skiff.io/exit-after': '10m' }));
    const failed = await until('slow Failed', async () => {
      const j = await json(['job', 'slow']);
      return condition(j, 'Failed') ? j : undefined;
    }, 60_000);
    const cond = condition(failed, 'Failed')!;
    assert.equal(cond.reason, 'DeadlineExceeded');
    assert.equal(cond.message, 'Job was active longer than specified deadline');
    assert.equal(rowOf(parseTable(await ok(['get', 'jobs'])), 'slow')?.STATUS, 'Failed');
    await until('slow\'s pod is gone or terminated', async () => {
      const pods = await json(['pods', '-l', 'job-name=slow']);
      return items(pods).every((p) => at(p, 'metadata.deletionTimestamp') !== undefined || ['Failed', 'Succeeded'].includes(String(at(p, 'status.phase'))));
    }, 30_000);
  });

  it('a CronJob every minute creates Jobs on schedule and keeps its history limit', async (t) => {
    const { ok, json, apply } = namespaced(() => server, 'batch-cron');
    await apply(cronJob('tick', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }, { 'sim.skiff.io/exit-code': '0', 'sim.skiff.io/exit-after': '1s' }));
    const row = rowOf(parseTable(await ok(['get', 'cronjobs'])), 'tick');
    assert.equal(row?.SCHEDULE, '*/1 * * * *');
    assert.equal(row?.SUSPEND, 'False');
    const created = new Set<string>();
    await until('two scheduled Jobs of tick, the second Complete', async () => {
      const jobs = ownedJobs(await json(['jobs']), 'tick');
      for (const j of jobs) created.add(String(at(j, 'metadata.name')));
      const last = jobs.at(-1);
      return created.size >= 2 && last !== undefined && condition(last, 'Complete') !== undefined;
    }, 150_000);
    const names = [...created].sort();
    t.diagnostic(`tick created ${names.join(', ')}`);
    const minutes = names.map(scheduledMinute);
    assert.equal(minutes[1]! - minutes[0]!, 1, 'one Job per minute');
    const kept = await until('only the newest successful Job is kept', async () => {
      const jobs = ownedJobs(await json(['jobs']), 'tick');
      return jobs.length === 1 ? jobs : undefined;
    }, 30_000);
    assert.equal(at(kept[0]!, 'metadata.name'), names.at(-1));
    const cj = await json(['cronjob', 'tick']);
    assert.equal(at(cj, 'status.lastScheduleTime'), new Date(minutes.at(-1)! * 60_000).toISOString().replace('.000Z', 'Z'));
    const described = await ok(['describe', 'cronjob', 'tick']);
    assert.match(described, new RegExp(`SuccessfulDelete\\s+.*Deleted job ${names[0]}`));
  });

  it('concurrencyPolicy Forbid skips a run while one is active', async () => {
    const { ok, json, apply } = namespaced(() => server, 'batch-forbid');
    await apply(cronJob('lock', { concurrencyPolicy: 'Forbid' }, { 'sim.skiff.io/exit-after': '10m' }));
    const first = await until('the first Job of lock', async () => {
      const jobs = ownedJobs(await json(['jobs']), 'lock');
      return jobs[0];
    }, 90_000);
    const firstName = String(at(first, 'metadata.name'));
    await until('lock lists its active Job', async () => {
      const active = at(await json(['cronjob', 'lock']), 'status.active');
      return Array.isArray(active) && active.some((r) => isObject(r) && r.name === firstName);
    });
    // Wait for the next minute's run to come due, then for the skip to show.
    const next = (scheduledMinute(firstName) + 1) * 60_000;
    await until('the next schedule passes and the run is skipped', async () => {
      if (Date.now() < next) return undefined;
      return /JobAlreadyActive\s+.*Not starting job because prior execution is running and concurrency policy is Forbid/.test(await ok(['describe', 'cronjob', 'lock']));
    }, 150_000);
    const jobs = ownedJobs(await json(['jobs']), 'lock');
    assert.deepEqual(jobs.map((j) => at(j, 'metadata.name')), [firstName], 'no second Job while the first is active');
    const running = parseTable(await ok(['get', 'pods', '-l', 'cron=lock']));
    assert.equal(running.rows.length, 1);
    assert.equal(running.rows[0]![2], 'Running');
  });
});

/**
 * Deployments through the real kubectl against `skiff server --simulated-nodes 3`: scaling shows
 * READY / UP-TO-DATE / AVAILABLE as upstream; a rolling update with maxSurge 1 / maxUnavailable 1
 * stays within 11 pods and 9 available (checked by a `kubectl get pods -w -o json` watcher during
 * the rollout); rollout history with change causes, undo to a revision, pause and resume;
 * revisionHistoryLimit prunes old ReplicaSets; background and orphan deletion; deleting a
 * namespace empties and removes it. Every wait polls against a deadline; no timing is asserted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { at, isObject, kubectlBackground, parseTable, rowOf } from './kubectl-util.js';
import type { JsonObject } from './kubectl-util.js';
import { createJsonStreamParser, itemNames, items, namespaced, readyNodes, sleep, until } from './workloads-util.js';

const NS = 'workloads-deploy';

function deployment(name: string, replicas: number, image: string, extra: { spec?: JsonObject; annotations?: Record<string, string> } = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image }] } },
      ...(extra.spec ?? {}),
    },
  };
}

function annotation(obj: JsonObject, key: string): string | undefined {
  const annotations = at(obj, 'metadata.annotations');
  const v = isObject(annotations) ? annotations[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

describe('deployments through kubectl', () => {
  let server: TestServer;
  const { k, ok, json, apply } = namespaced(() => server, NS);

  /** The `kubectl get deployments` row of `name`. */
  async function deployRow(name: string): Promise<Record<string, string> | undefined> {
    return rowOf(parseTable(await ok(['get', 'deployments'])), name);
  }

  async function rolledOut(name: string, timeoutMs = 90_000): Promise<void> {
    const out = await kubectlOk(server, ['-n', NS, 'rollout', 'status', `deployment/${name}`, `--timeout=${Math.round(timeoutMs / 1000)}s`], { timeoutMs: timeoutMs + 10_000 });
    assert.match(out, new RegExp(`deployment "${name}" successfully rolled out`));
  }

  async function podImages(selector: string): Promise<string[]> {
    const list = await json(['pods', '-l', selector]);
    return items(list).filter((p) => at(p, 'metadata.deletionTimestamp') === undefined).map((p) => String(at(p, 'spec.containers.0.image')));
  }

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3'] });
    await readyNodes(server, 3);
    await kubectlOk(server, ['create', 'namespace', NS]);
    await until('default ServiceAccount', async () => (await k(['get', 'serviceaccount', 'default'])).code === 0);
  });

  after(async () => {
    await server?.cleanup();
  });

  it('kubectl scale to 10 shows READY 10/10, UP-TO-DATE 10, AVAILABLE 10', async () => {
    assert.equal(await ok(['create', 'deployment', 'web', '--image=busybox']), 'deployment.apps/web created\n');
    await until('web 1/1', async () => (await deployRow('web'))?.READY === '1/1');
    assert.equal(await ok(['scale', 'deployment', 'web', '--replicas=10']), 'deployment.apps/web scaled\n');
    const row = await until('web READY 10/10', async () => {
      const r = await deployRow('web');
      return r && r.READY === '10/10' && r['UP-TO-DATE'] === '10' && r.AVAILABLE === '10' ? r : undefined;
    }, 60_000);
    assert.deepEqual(parseTable(await ok(['get', 'deployments'])).header.slice(0, 5), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.equal(row.NAME, 'web');
    const running = parseTable(await ok(['get', 'pods', '-l', 'app=web'])).rows.filter((r) => r[1] === '1/1' && r[2] === 'Running');
    assert.equal(running.length, 10);
    const rs = parseTable(await ok(['get', 'rs', '-l', 'app=web']));
    assert.equal(rs.rows.length, 1);
    assert.deepEqual(rs.header.slice(0, 4), ['NAME', 'DESIRED', 'CURRENT', 'READY']);
    assert.deepEqual(rs.rows[0]!.slice(1, 4), ['10', '10', '10']);
  });

  it('a rolling update of 10 with maxSurge 1 / maxUnavailable 1 stays within 11 pods and 9 available; history, undo, pause and resume', async (t) => {
    const strategy = { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } };
    await apply(deployment('roll', 10, 'busybox:1.36', { spec: strategy, annotations: { 'kubernetes.io/change-cause': 'create with busybox:1.36' } }));
    await rolledOut('roll');
    await until('roll AVAILABLE 10', async () => (await deployRow('roll'))?.AVAILABLE === '10');

    // Watch every pod change while the rollout runs; the stream's order is the store's order, so
    // the state after each event is a state the cluster really had.
    const watcher = kubectlBackground(server, ['-n', NS, 'get', 'pods', '-l', 'app=roll', '-w', '-o', 'json']);
    const parser = createJsonStreamParser();
    const pods = new Map<string, JsonObject>();
    let maxPods = 0;
    let minAvailable = Number.POSITIVE_INFINITY;
    let events = 0;
    const violations: string[] = [];
    watcher.child.stdout.on('data', (chunk: string) => {
      for (const doc of parser.push(chunk)) {
        const uid = String(at(doc, 'metadata.uid'));
        const gone = at(doc, 'metadata.deletionTimestamp') !== undefined;
        if (gone) pods.delete(uid);
        else pods.set(uid, doc);
        events++;
        const live = [...pods.values()];
        const available = live.filter((p) => {
          const conds = at(p, 'status.conditions');
          return Array.isArray(conds) && conds.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
        }).length;
        maxPods = Math.max(maxPods, live.length);
        if (pods.size >= 10 || events > 10) minAvailable = Math.min(minAvailable, available);
        if (live.length > 11) violations.push(`${live.length} pods after event ${events}`);
        if (events > 10 && available < 9) violations.push(`${available} available after event ${events}`);
      }
    });
    try {
      await until('watcher listed the 10 pods', async () => pods.size === 10 && events >= 10);
      const beforeEvents = events;
      await ok(['patch', 'deployment', 'roll', '--type=merge', '-p', JSON.stringify({
        metadata: { annotations: { 'kubernetes.io/change-cause': 'image busybox:1.37' } },
        spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } },
      })]);
      await rolledOut('roll');
      await until('all 10 pods on busybox:1.37', async () => {
        const images = await podImages('app=roll');
        return images.length === 10 && images.every((i) => i === 'busybox:1.37');
      }, 60_000);
      await until('the watcher saw the rollout settle', async () => pods.size === 10 && [...pods.values()].every((p) => at(p, 'spec.containers.0.image') === 'busybox:1.37'));
      assert.ok(events - beforeEvents >= 30, `the watcher saw the rollout (${events - beforeEvents} pod events)`);
    } finally {
      watcher.kill();
    }
    t.diagnostic(`rollout watcher: ${events} pod events, at most ${maxPods} pods, at least ${minAvailable} available`);
    assert.deepEqual(violations, [], 'never more than 11 pods nor fewer than 9 available');
    assert.ok(maxPods <= 11, `at most 11 pods (saw ${maxPods})`);
    assert.ok(minAvailable >= 9, `at least 9 available (saw ${minAvailable})`);

    // History lists both revisions with their change causes.
    const history = await ok(['rollout', 'history', 'deployment/roll']);
    const hist = parseTable(history.split('\n').slice(1).join('\n'));
    assert.deepEqual(hist.header, ['REVISION', 'CHANGE-CAUSE']);
    assert.deepEqual(hist.rows, [['1', 'create with busybox:1.36'], ['2', 'image busybox:1.37']]);
    const rev1 = await ok(['rollout', 'history', 'deployment/roll', '--revision=1']);
    assert.match(rev1, /Image:\s+busybox:1\.36/);

    // Undo to revision 1 restores the first template (as revision 3).
    assert.equal(await ok(['rollout', 'undo', 'deployment/roll', '--to-revision=1']), 'deployment.apps/roll rolled back\n');
    await rolledOut('roll');
    assert.equal(await ok(['get', 'deployment', 'roll', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'busybox:1.36');
    await until('all 10 pods back on busybox:1.36', async () => {
      const images = await podImages('app=roll');
      return images.length === 10 && images.every((i) => i === 'busybox:1.36');
    }, 60_000);
    const afterUndo = parseTable((await ok(['rollout', 'history', 'deployment/roll'])).split('\n').slice(1).join('\n'));
    assert.deepEqual(afterUndo.rows.map((r) => r[0]), ['2', '3']);
    assert.equal(await ok(['get', 'deployment', 'roll', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}']), '3');

    // Pause: a template change makes no progress; resume: it rolls out.
    assert.equal(await ok(['rollout', 'pause', 'deployment/roll']), 'deployment.apps/roll paused\n');
    await ok(['set', 'image', 'deployment/roll', 'c=busybox:1.38']);
    const rsBefore = itemNames(await json(['rs', '-l', 'app=roll'])).sort();
    await sleep(4000);
    assert.deepEqual(itemNames(await json(['rs', '-l', 'app=roll'])).sort(), rsBefore, 'no new ReplicaSet while paused');
    assert.deepEqual([...new Set(await podImages('app=roll'))], ['busybox:1.36'], 'no pod changed while paused');
    const paused = await json(['deployment', 'roll']);
    assert.equal(at(paused, 'spec.paused'), true);
    const progressing = at(paused, 'status.conditions');
    assert.ok(Array.isArray(progressing) && progressing.some((c) => isObject(c) && c.type === 'Progressing' && c.reason === 'DeploymentPaused'),
      `Progressing reason DeploymentPaused: ${JSON.stringify(progressing)}`);
    assert.equal(await ok(['rollout', 'resume', 'deployment/roll']), 'deployment.apps/roll resumed\n');
    await rolledOut('roll');
    await until('all 10 pods on busybox:1.38', async () => {
      const images = await podImages('app=roll');
      return images.length === 10 && images.every((i) => i === 'busybox:1.38');
    }, 60_000);
  });

  it('revisionHistoryLimit prunes old ReplicaSets', async () => {
    await apply(deployment('hist', 2, 'busybox:1', { spec: { revisionHistoryLimit: 2 } }));
    await rolledOut('hist');
    for (const tag of ['2', '3', '4', '5']) {
      await ok(['set', 'image', 'deployment/hist', `c=busybox:${tag}`]);
      await rolledOut('hist');
    }
    const names = await until('hist keeps 3 ReplicaSets (current + 2 old)', async () => {
      const list = await json(['rs', '-l', 'app=hist']);
      return items(list).length === 3 ? list : undefined;
    });
    const revisions = items(names).map((rs) => annotation(rs, 'deployment.kubernetes.io/revision')).sort();
    assert.deepEqual(revisions, ['3', '4', '5']);
    const history = parseTable((await ok(['rollout', 'history', 'deployment/hist'])).split('\n').slice(1).join('\n'));
    assert.deepEqual(history.rows.map((r) => r[0]), ['3', '4', '5']);
  });

  it('deleting a Deployment removes its ReplicaSets and pods; --cascade=orphan leaves them', async () => {
    await apply(deployment('gone', 3, 'busybox'), deployment('kept', 3, 'busybox'));
    await rolledOut('gone');
    await rolledOut('kept');
    assert.equal(await ok(['delete', 'deployment', 'gone']), 'deployment.apps "gone" deleted\n');
    await until('gone\'s ReplicaSets and pods removed', async () => {
      const rs = await json(['rs', '-l', 'app=gone']);
      const pods = await json(['pods', '-l', 'app=gone']);
      return items(rs).length === 0 && items(pods).length === 0;
    }, 60_000);

    const keptRs = itemNames(await json(['rs', '-l', 'app=kept']));
    assert.equal(keptRs.length, 1);
    assert.equal(await ok(['delete', 'deployment', 'kept', '--cascade=orphan']), 'deployment.apps "kept" deleted\n');
    await until('kept deleted', async () => (await k(['get', 'deployment', 'kept'])).code !== 0);
    await until('the orphaned ReplicaSet lost its owner reference', async () => {
      const rs = await json(['rs', keptRs[0]!]);
      return at(rs, 'metadata.ownerReferences') === undefined || (at(rs, 'metadata.ownerReferences') as unknown[]).length === 0;
    });
    await sleep(3000);
    assert.deepEqual(itemNames(await json(['rs', '-l', 'app=kept'])), keptRs, 'the ReplicaSet stays');
    const pods = parseTable(await ok(['get', 'pods', '-l', 'app=kept']));
    assert.equal(pods.rows.filter((r) => r[2] === 'Running').length, 3, 'its pods stay Running');
    await ok(['delete', 'rs', keptRs[0]!]);
  });

  it('deleting a namespace empties and removes it', async () => {
    const ns = 'workloads-doomed';
    await kubectlOk(server, ['create', 'namespace', ns]);
    await kubectlOk(server, ['-n', ns, 'create', 'deployment', 'app', '--image=busybox', '--replicas=3']);
    await kubectlOk(server, ['-n', ns, 'create', 'configmap', 'cfg', '--from-literal=a=b']);
    await until('3 pods Running in the namespace', async () => {
      const t = parseTable(await kubectlOk(server, ['-n', ns, 'get', 'pods']));
      return t.rows.length === 3 && t.rows.every((r) => r[2] === 'Running');
    }, 60_000);
    const del = await kubectl(server, ['delete', 'namespace', ns, '--timeout=90s'], { timeoutMs: 100_000 });
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, `namespace "${ns}" deleted\n`);
    await until('the namespace is gone', async () => {
      const r = await kubectl(server, ['get', 'namespace', ns]);
      return r.code !== 0 && r.stderr.includes(`namespaces "${ns}" not found`);
    }, 60_000);
    const left = await kubectl(server, ['get', 'pods,rs,deployments,configmaps', '-n', ns, '-o', 'name']);
    assert.equal(left.stdout, '');
  });
});

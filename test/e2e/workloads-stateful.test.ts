/**
 * StatefulSets through the real kubectl against `skiff server --simulated-nodes 3`: a StatefulSet
 * of 3 with a volumeClaimTemplate (class `local-path`) creates web-0, web-1, web-2 in order, each
 * only after the previous one is Ready (checked by a `kubectl get pods -w -o json` watcher), each
 * with its own Bound claim; a deleted pod comes back with the same name and claim; scaling down
 * removes the highest ordinal first and keeps the claims.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { at, isObject, kubectlBackground, parseTable, rowOf } from './kubectl-util.js';
import type { Background, JsonObject } from './kubectl-util.js';
import { createJsonStreamParser, items, namespaced, readyNodes, until } from './workloads-util.js';

const NS = 'workloads-sts';

function isReady(pod: JsonObject): boolean {
  const conds = at(pod, 'status.conditions');
  return Array.isArray(conds) && conds.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
}

/** Follows `kubectl get pods -w -o json`: the latest state per pod name and an ordered event log. */
function podWatch(server: TestServer, selector: string): { bg: Background; pods: Map<string, JsonObject>; log: string[] } {
  const bg = kubectlBackground(server, ['-n', NS, 'get', 'pods', '-l', selector, '-w', '-o', 'json']);
  const parser = createJsonStreamParser();
  const pods = new Map<string, JsonObject>();
  const log: string[] = [];
  bg.child.stdout.on('data', (chunk: string) => {
    for (const pod of parser.push(chunk)) {
      const name = String(at(pod, 'metadata.name'));
      const prev = pods.get(name);
      const uid = String(at(pod, 'metadata.uid'));
      if (!prev || at(prev, 'metadata.uid') !== uid) {
        // A new pod: note which lower ordinals were Ready at that moment.
        const ordinal = Number(name.slice(name.lastIndexOf('-') + 1));
        const readyBelow = Array.from({ length: ordinal }, (_, i) => `web-${i}`).every((n) => {
          const p = pods.get(n);
          return p !== undefined && isReady(p) && at(p, 'metadata.deletionTimestamp') === undefined;
        });
        log.push(`create ${name}${readyBelow ? '' : ' (a lower ordinal not Ready)'}`);
      }
      if (at(pod, 'metadata.deletionTimestamp') !== undefined && (!prev || at(prev, 'metadata.deletionTimestamp') === undefined || at(prev, 'metadata.uid') !== uid)) {
        log.push(`delete ${name}`);
      }
      pods.set(name, pod);
    }
  });
  return { bg, pods, log };
}

describe('statefulsets through kubectl', () => {
  let server: TestServer;
  const { ok, json, apply } = namespaced(() => server, NS);

  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '3'] });
    await readyNodes(server, 3);
    await kubectlOk(server, ['create', 'namespace', NS]);
    await until('default ServiceAccount', async () => (await ok(['get', 'serviceaccounts', '-o', 'name'])).includes('serviceaccount/default'));
    await until('the local-path StorageClass', async () => {
      const row = rowOf(parseTable(await kubectlOk(server, ['get', 'storageclass'])), 'local-path (default)');
      return row?.PROVISIONER === 'skiff.io/local-path' && row.VOLUMEBINDINGMODE === 'WaitForFirstConsumer';
    });
  });

  after(async () => {
    await server?.cleanup();
  });

  it('creates web-0, web-1, web-2 in order with their own Bound claims, keeps names and claims, scales down from the top', async (t) => {
    const watch = podWatch(server, 'app=web');
    try {
      await apply(
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] } },
        {
          apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web' },
          spec: {
            serviceName: 'web', replicas: 3, selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' }, annotations: { 'sim.skiff.io/start-delay': '1s' } },
              spec: {
                terminationGracePeriodSeconds: 1,
                containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
              },
            },
            volumeClaimTemplates: [{
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } } },
            }],
          },
        },
      );
      await until('web 3/3 Ready', async () => rowOf(parseTable(await ok(['get', 'statefulsets'])), 'web')?.READY === '3/3', 90_000);
      t.diagnostic(watch.log.join('; '));
      assert.deepEqual(watch.log.filter((l) => l.startsWith('create')), ['create web-0', 'create web-1', 'create web-2'],
        'each pod created only once the previous one is Ready');

      // Each pod has its own Bound claim from local-path, on its own PV.
      const pvcs = await until('three Bound claims', async () => {
        const table = parseTable(await ok(['get', 'pvc']));
        return table.rows.length === 3 && table.rows.every((r) => rowOf(table, r[0]!)?.STATUS === 'Bound') ? table : undefined;
      }, 60_000);
      assert.deepEqual(pvcs.rows.map((r) => r[0]).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
      assert.ok(pvcs.rows.every((r) => rowOf(pvcs, r[0]!)?.STORAGECLASS === 'local-path'));
      const volumes = pvcs.rows.map((r) => rowOf(pvcs, r[0]!)?.VOLUME);
      assert.equal(new Set(volumes).size, 3, `three distinct volumes: ${volumes.join(', ')}`);
      for (const i of [0, 1, 2]) {
        const pod = await json(['pod', `web-${i}`]);
        const vols = at(pod, 'spec.volumes');
        assert.ok(Array.isArray(vols) && vols.some((v) => isObject(v) && at(v, 'persistentVolumeClaim.claimName') === `data-web-${i}`));
        assert.equal(at(pod, 'spec.hostname'), `web-${i}`);
        assert.equal(at(pod, 'spec.subdomain'), 'web');
      }
      const pvTable = parseTable(await kubectlOk(server, ['get', 'pv']));
      for (const v of volumes) {
        const pv = rowOf(pvTable, v!);
        assert.equal(pv?.STATUS, 'Bound');
        assert.match(pv?.CLAIM ?? '', new RegExp(`^${NS}/data-web-[012]$`));
      }

      // A deleted pod comes back under the same name with the same claim.
      const oldUid = String(at(await json(['pod', 'web-1']), 'metadata.uid'));
      await ok(['delete', 'pod', 'web-1']);
      const back = await until('web-1 recreated and Running', async () => {
        const p = await json(['pod', 'web-1']);
        return at(p, 'metadata.uid') !== oldUid && isReady(p) ? p : undefined;
      }, 60_000);
      const vols = at(back, 'spec.volumes');
      assert.ok(Array.isArray(vols) && vols.some((v) => isObject(v) && at(v, 'persistentVolumeClaim.claimName') === 'data-web-1'));
      assert.deepEqual(parseTable(await ok(['get', 'pvc'])).rows.map((r) => r[0]).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
      await until('web 3/3 Ready again', async () => rowOf(parseTable(await ok(['get', 'statefulsets'])), 'web')?.READY === '3/3', 60_000);

      // Scale down to 1: web-2 goes first, then web-1; the claims stay.
      const mark = watch.log.length;
      assert.equal(await ok(['scale', 'statefulset', 'web', '--replicas=1']), 'statefulset.apps/web scaled\n');
      await until('only web-0 left', async () => {
        const pods = await json(['pods', '-l', 'app=web']);
        return items(pods).map((p) => at(p, 'metadata.name')).join(',') === 'web-0';
      }, 60_000);
      await until('the watcher saw both deletions', async () => watch.log.slice(mark).filter((l) => l.startsWith('delete')).length >= 2);
      assert.deepEqual(watch.log.slice(mark).filter((l) => l.startsWith('delete')), ['delete web-2', 'delete web-1']);
      const claims = parseTable(await ok(['get', 'pvc']));
      assert.deepEqual(claims.rows.map((r) => r[0]).sort(), ['data-web-0', 'data-web-1', 'data-web-2'], 'claims kept on scale-down');
      assert.ok(claims.rows.every((r) => rowOf(claims, r[0]!)?.STATUS === 'Bound'));
    } finally {
      watch.bg.kill();
    }
  });
});

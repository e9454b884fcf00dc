/**
 * Lists and watches as a client sees them: pagination, resourceVersion semantics, label and field
 * selectors, ordered watch events, bookmarks, timeouts, deletecollection, dry runs, generateName
 * and Table output. One `skiff server` (SQLite, no agent) for the whole file; each group of tests
 * uses its own namespace. Watches from compacted revisions are covered in
 * test/integration/watch-compaction.test.ts (compaction cannot be forced from outside).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl } from '../helpers/kubectl.js';
import { api, arr, at, configMap, names, namespace, pod, show, str, watch } from './support-api.js';
import type { ApiResponse, ApiTarget, WatchEventLine } from './support-api.js';

let server: TestServer;

function t(): ApiTarget {
  return server;
}

async function mkns(name: string): Promise<string> {
  const r = await api(t(), 'POST', '/api/v1/namespaces', { body: namespace(name) });
  assert.equal(r.status, 201, show(r));
  return `/api/v1/namespaces/${name}`;
}

async function ok(r: Promise<ApiResponse>, code = 201): Promise<ApiResponse> {
  const res = await r;
  assert.equal(res.status, code, show(res));
  return res;
}

function rvOf(r: ApiResponse | Record<string, unknown>): number {
  const json = 'json' in r && typeof r.status === 'number' ? (r as ApiResponse).json : r;
  return Number(str(json, 'metadata.resourceVersion'));
}

function evSummary(evs: WatchEventLine[]): [string, string][] {
  return evs.map((e) => [e.type, str(e.object, 'metadata.name')]);
}

before(async () => {
  server = await startServer({ args: ['--controllers', 'garbage-collector,namespace', '--disable-scheduler'] });
});

after(async () => {
  await server?.cleanup();
});

describe('pagination', () => {
  test('limit/continue pages cover every item exactly once, from one snapshot', async () => {
    const ns = await mkns('paging');
    const all: string[] = [];
    for (let i = 0; i < 23; i++) {
      const name = `cm-${String(i).padStart(2, '0')}`;
      all.push(name);
      await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap(name) }));
    }
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    let snapshotRv = '';
    for (;;) {
      const q = `limit=5${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const r = await ok(api(t(), 'GET', `${ns}/configmaps?${q}`), 200);
      pages++;
      const page = names(r.json);
      assert.ok(page.length <= 5, `page of ${page.length}`);
      seen.push(...page);
      if (pages === 1) {
        snapshotRv = str(r.json, 'metadata.resourceVersion');
        assert.equal(at(r.json, 'metadata.remainingItemCount'), 18, show(r));
        // Changes after the first page do not show up in later pages (one consistent snapshot).
        await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('zz-late') }));
        await ok(api(t(), 'DELETE', `${ns}/configmaps/cm-20`), 200);
      } else {
        assert.equal(str(r.json, 'metadata.resourceVersion'), snapshotRv, 'every page is read at the first page\'s revision');
      }
      token = str(r.json, 'metadata.continue');
      if (!token) {
        assert.equal(at(r.json, 'metadata.remainingItemCount'), undefined);
        break;
      }
      assert.ok(pages < 20, 'pagination does not end');
    }
    assert.equal(pages, 5);
    assert.deepEqual(seen, all);
    const fresh = await ok(api(t(), 'GET', `${ns}/configmaps`), 200);
    assert.ok(names(fresh.json).includes('zz-late'));
    assert.ok(!names(fresh.json).includes('cm-20'));
  });

  test('limit with a label selector still fills pages and covers all matches', async () => {
    const ns = await mkns('paging-sel');
    const want: string[] = [];
    for (let i = 0; i < 20; i++) {
      const name = `cm-${String(i).padStart(2, '0')}`;
      const even = i % 2 === 0;
      if (even) want.push(name);
      await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap(name, { k: 'v' }, { parity: even ? 'even' : 'odd' }) }));
    }
    const seen: string[] = [];
    let token = '';
    for (let guard = 0; guard < 30; guard++) {
      const r = await ok(api(t(), 'GET', `${ns}/configmaps?labelSelector=parity%3Deven&limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`), 200);
      seen.push(...names(r.json));
      token = str(r.json, 'metadata.continue');
      if (!token) break;
    }
    assert.deepEqual(seen, want);
  });

  test('a malformed continue token is a 400', async () => {
    const r = await api(t(), 'GET', '/api/v1/namespaces/default/configmaps?limit=1&continue=not-a-token');
    assert.equal(r.status, 400, show(r));
    assert.equal(r.json.reason, 'BadRequest');
  });
});

describe('resourceVersion semantics', () => {
  test('"" is the latest state, "0" any state, Exact the state at that revision', async () => {
    const ns = await mkns('rv-sem');
    const a = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('a') }));
    const rvA = rvOf(a);
    const b = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('b') }));
    const rvB = rvOf(b);
    assert.ok(rvB > rvA);

    const latest = await ok(api(t(), 'GET', `${ns}/configmaps`), 200);
    assert.deepEqual(names(latest.json), ['a', 'b']);
    assert.ok(rvOf(latest) >= rvB);

    const any = await ok(api(t(), 'GET', `${ns}/configmaps?resourceVersion=0`), 200);
    assert.match(str(any.json, 'metadata.resourceVersion'), /^\d+$/);
    assert.equal(any.json.kind, 'ConfigMapList');

    const exactA = await ok(api(t(), 'GET', `${ns}/configmaps?resourceVersion=${rvA}&resourceVersionMatch=Exact`), 200);
    assert.deepEqual(names(exactA.json), ['a']);
    assert.equal(rvOf(exactA), rvA);

    const upd = await ok(api(t(), 'PUT', `${ns}/configmaps/a`, { body: { ...configMap('a', { k: 'changed' }), metadata: { name: 'a', resourceVersion: String(rvA) } } }), 200);
    await ok(api(t(), 'DELETE', `${ns}/configmaps/b`), 200);
    const exactB = await ok(api(t(), 'GET', `${ns}/configmaps?resourceVersion=${rvB}&resourceVersionMatch=Exact`), 200);
    assert.deepEqual(names(exactB.json), ['a', 'b']);
    assert.equal(at(arr(exactB.json, 'items')[0], 'data.k'), 'v', 'the old value at the old revision');
    assert.equal(str(arr(exactB.json, 'items')[0], 'metadata.resourceVersion'), String(rvA));

    const notOlder = await ok(api(t(), 'GET', `${ns}/configmaps?resourceVersion=${rvOf(upd)}&resourceVersionMatch=NotOlderThan`), 200);
    assert.ok(rvOf(notOlder) >= rvOf(upd));
    assert.deepEqual(names(notOlder.json), ['a']);
    assert.equal(at(arr(notOlder.json, 'items')[0], 'data.k'), 'changed');

    const exactPaged = await ok(api(t(), 'GET', `${ns}/configmaps?resourceVersion=${rvB}&resourceVersionMatch=Exact&limit=1`), 200);
    assert.deepEqual(names(exactPaged.json), ['a']);
    const next = await ok(api(t(), 'GET', `${ns}/configmaps?limit=1&continue=${encodeURIComponent(str(exactPaged.json, 'metadata.continue'))}`), 200);
    assert.deepEqual(names(next.json), ['b']);
  });

  test('invalid combinations are rejected', async () => {
    const noRv = await api(t(), 'GET', '/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact');
    assert.equal(noRv.status, 422, show(noRv));
    const bad = await api(t(), 'GET', '/api/v1/namespaces/default/configmaps?resourceVersion=abc');
    assert.ok(bad.status === 400 || bad.status === 422 || bad.status === 500, show(bad));
    assert.equal(bad.json.kind, 'Status');
    const cur = await ok(api(t(), 'GET', '/api/v1/namespaces/default/configmaps'), 200);
    const tooNew = await api(t(), 'GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${rvOf(cur) + 100000}&resourceVersionMatch=NotOlderThan`);
    assert.equal(tooNew.status, 504, show(tooNew));
    assert.ok(String(tooNew.json.message).includes('Too large resource version'), show(tooNew));
  });
});

describe('selectors', () => {
  test('label selectors: equality and set-based', async () => {
    const ns = await mkns('labels');
    const objs: [string, Record<string, string>][] = [
      ['web-a', { app: 'web', tier: 'front' }],
      ['web-b', { app: 'web', tier: 'back' }],
      ['db', { app: 'db', tier: 'back' }],
      ['plain', {}],
    ];
    for (const [name, labels] of objs) await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap(name, { k: 'v' }, labels) }));
    const cases: [string, string[]][] = [
      ['app=web', ['web-a', 'web-b']],
      ['app==web', ['web-a', 'web-b']],
      ['app!=web', ['db', 'plain']],
      ['app=web,tier=back', ['web-b']],
      ['tier in (front,back)', ['db', 'web-a', 'web-b']],
      ['tier notin (front)', ['db', 'plain', 'web-b']],
      ['tier', ['db', 'web-a', 'web-b']],
      ['!tier', ['plain']],
      ['app in (web),tier notin (back)', ['web-a']],
    ];
    for (const [sel, want] of cases) {
      const r = await ok(api(t(), 'GET', `${ns}/configmaps?labelSelector=${encodeURIComponent(sel)}`), 200);
      assert.deepEqual(names(r.json), want, `selector ${sel}`);
    }
    const bad = await api(t(), 'GET', `${ns}/configmaps?labelSelector=${encodeURIComponent('app in web')}`);
    assert.equal(bad.status, 400, show(bad));
  });

  test('field selectors: metadata.name, pod spec.nodeName and status.phase, event involvedObject.name', async () => {
    const ns = await mkns('fields');
    await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('one') }));
    await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('two') }));
    const byName = await ok(api(t(), 'GET', `${ns}/configmaps?fieldSelector=metadata.name%3Dtwo`), 200);
    assert.deepEqual(names(byName.json), ['two']);
    const notName = await ok(api(t(), 'GET', `${ns}/configmaps?fieldSelector=metadata.name!%3Dtwo`), 200);
    assert.deepEqual(names(notName.json), ['one']);
    const allNs = await ok(api(t(), 'GET', `/api/v1/configmaps?fieldSelector=${encodeURIComponent('metadata.namespace=fields,metadata.name=one')}`), 200);
    assert.deepEqual(names(allNs.json), ['one']);

    await ok(api(t(), 'POST', `${ns}/pods`, { body: pod('on-n1', { nodeName: 'node-1' }) }));
    await ok(api(t(), 'POST', `${ns}/pods`, { body: pod('on-n2', { nodeName: 'node-2' }) }));
    const unscheduled = await ok(api(t(), 'POST', `${ns}/pods`, { body: pod('unscheduled') }));
    assert.equal(at(unscheduled.json, 'status.phase'), 'Pending');
    const n1 = await ok(api(t(), 'GET', `${ns}/pods?fieldSelector=spec.nodeName%3Dnode-1`), 200);
    assert.deepEqual(names(n1.json), ['on-n1']);
    const none = await ok(api(t(), 'GET', `${ns}/pods?fieldSelector=spec.nodeName%3D`), 200);
    assert.deepEqual(names(none.json), ['unscheduled']);

    const cur = await ok(api(t(), 'GET', `${ns}/pods/on-n2`), 200);
    const running = { ...cur.json, status: { phase: 'Running' } };
    await ok(api(t(), 'PUT', `${ns}/pods/on-n2/status`, { body: running }), 200);
    const run = await ok(api(t(), 'GET', `${ns}/pods?fieldSelector=status.phase%3DRunning`), 200);
    assert.deepEqual(names(run.json), ['on-n2']);
    const pending = await ok(api(t(), 'GET', `${ns}/pods?fieldSelector=status.phase%3DPending`), 200);
    assert.deepEqual(names(pending.json), ['on-n1', 'unscheduled']);
    const both = await ok(api(t(), 'GET', `${ns}/pods?fieldSelector=${encodeURIComponent('status.phase!=Running,spec.nodeName=node-1')}`), 200);
    assert.deepEqual(names(both.json), ['on-n1']);

    const event = (name: string, target: string): Record<string, unknown> => ({
      apiVersion: 'v1', kind: 'Event', metadata: { name },
      involvedObject: { kind: 'Pod', name: target, namespace: 'fields', apiVersion: 'v1' },
      reason: 'Testing', message: `about ${target}`, type: 'Normal', source: { component: 'e2e' },
      firstTimestamp: '2025-01-01T00:00:00Z', lastTimestamp: '2025-01-01T00:00:00Z', count: 1,
    });
    await ok(api(t(), 'POST', `${ns}/events`, { body: event('ev-1', 'on-n1') }));
    await ok(api(t(), 'POST', `${ns}/events`, { body: event('ev-2', 'on-n2') }));
    await ok(api(t(), 'POST', `${ns}/events`, { body: event('ev-3', 'on-n1') }));
    const evs = await ok(api(t(), 'GET', `${ns}/events?fieldSelector=involvedObject.name%3Don-n1`), 200);
    assert.deepEqual(names(evs.json), ['ev-1', 'ev-3']);
    const evKind = await ok(api(t(), 'GET', `${ns}/events?fieldSelector=${encodeURIComponent('involvedObject.kind=Pod,involvedObject.name=on-n2')}`), 200);
    assert.deepEqual(names(evKind.json), ['ev-2']);

    const unsupported = await api(t(), 'GET', `${ns}/configmaps?fieldSelector=data.k%3Dv`);
    assert.equal(unsupported.status, 400, show(unsupported));
    assert.ok(String(unsupported.json.message).includes('field label not supported: data.k'), show(unsupported));
  });
});

describe('watch', () => {
  test('a watch from a resourceVersion sees every later change in order', async () => {
    const ns = await mkns('watching');
    const start = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('before') }));
    const w = await watch(t(), `${ns}/configmaps?watch=1&resourceVersion=${rvOf(start)}`);
    try {
      assert.equal(w.status, 200, w.text);
      const a = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('w1') }));
      const u = await ok(api(t(), 'PUT', `${ns}/configmaps/w1`, { body: { ...configMap('w1', { k: 'v2' }), metadata: { name: 'w1', resourceVersion: String(rvOf(a)) } } }), 200);
      await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('w2') }));
      await ok(api(t(), 'DELETE', `${ns}/configmaps/before`), 200);
      await ok(api(t(), 'DELETE', `${ns}/configmaps/w1`), 200);
      // A change elsewhere is not seen.
      await ok(api(t(), 'POST', '/api/v1/namespaces/default/configmaps', { body: configMap('elsewhere') }));
      const evs = await w.until((e) => e.length >= 5);
      assert.deepEqual(evSummary(evs), [['ADDED', 'w1'], ['MODIFIED', 'w1'], ['ADDED', 'w2'], ['DELETED', 'before'], ['DELETED', 'w1']]);
      const rvs = evs.map((e) => Number(str(e.object, 'metadata.resourceVersion')));
      for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i] > rvs[i - 1], `resourceVersions increase: ${rvs.join(',')}`);
      assert.equal(rvs[0], rvOf(a));
      assert.equal(rvs[1], rvOf(u));
      assert.equal(at(evs[1].object, 'data.k'), 'v2');
      assert.equal(evs[0].object.kind, 'ConfigMap');
      assert.equal(evs[0].object.apiVersion, 'v1');
    } finally {
      w.close();
    }
  });

  test('a watch from the past replays what happened since, a watch by name sees only that object', async () => {
    const ns = await mkns('watch-replay');
    const a = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('r1') }));
    await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('r2') }));
    await ok(api(t(), 'DELETE', `${ns}/configmaps/r1`), 200);
    const w = await watch(t(), `${ns}/configmaps?watch=true&resourceVersion=${rvOf(a)}`);
    const byName = await watch(t(), `${ns}/configmaps?watch=true&fieldSelector=metadata.name%3Dr3&resourceVersion=${rvOf(a)}`);
    try {
      await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('r3') }));
      const evs = await w.until((e) => e.length >= 3);
      assert.deepEqual(evSummary(evs), [['ADDED', 'r2'], ['DELETED', 'r1'], ['ADDED', 'r3']]);
      const one = await byName.until((e) => e.length >= 1);
      assert.deepEqual(evSummary(one), [['ADDED', 'r3']]);
    } finally {
      w.close();
      byName.close();
    }
  });

  test('a watch with resourceVersion 0 starts with the current objects; label selection moves objects in and out', async () => {
    const ns = await mkns('watch-initial');
    await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('i1', { k: 'v' }, { pick: 'yes' }) }));
    const other = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('i2', { k: 'v' }, { pick: 'no' }) }));
    const w = await watch(t(), `${ns}/configmaps?watch=1&resourceVersion=0&labelSelector=pick%3Dyes`);
    try {
      await w.until((e) => e.length >= 1);
      await ok(api(t(), 'PUT', `${ns}/configmaps/i2`, { body: { ...configMap('i2', { k: 'v' }, { pick: 'yes' }), metadata: { name: 'i2', labels: { pick: 'yes' }, resourceVersion: String(rvOf(other)) } } }), 200);
      const cur = await ok(api(t(), 'GET', `${ns}/configmaps/i1`), 200);
      const moved = structuredClone(cur.json);
      (at(moved, 'metadata') as Record<string, unknown>).labels = { pick: 'no' };
      await ok(api(t(), 'PUT', `${ns}/configmaps/i1`, { body: moved }), 200);
      const evs = await w.until((e) => e.length >= 3);
      assert.deepEqual(evSummary(evs), [['ADDED', 'i1'], ['ADDED', 'i2'], ['DELETED', 'i1']]);
    } finally {
      w.close();
    }
  });

  test('allowWatchBookmarks brings BOOKMARK events with a resourceVersion', async () => {
    const ns = await mkns('bookmarks');
    const c = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('b') }));
    const w = await watch(t(), `${ns}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${rvOf(c)}`);
    try {
      const evs = await w.until((e) => e.some((x) => x.type === 'BOOKMARK'), 20_000);
      const bm = evs.find((x) => x.type === 'BOOKMARK');
      assert.ok(bm);
      assert.equal(bm.object.kind, 'ConfigMap');
      assert.equal(bm.object.apiVersion, 'v1');
      assert.ok(Number(str(bm.object, 'metadata.resourceVersion')) >= rvOf(c), JSON.stringify(bm));
    } finally {
      w.close();
    }
  });

  test('without allowWatchBookmarks no BOOKMARK is sent; timeoutSeconds ends the watch', async () => {
    const ns = await mkns('watch-timeout');
    const c = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('x') }));
    const w = await watch(t(), `${ns}/configmaps?watch=1&timeoutSeconds=3&resourceVersion=${rvOf(c)}`);
    const evs = await w.end(20_000);
    assert.equal(w.status, 200);
    assert.ok(!evs.some((e) => e.type === 'BOOKMARK'), JSON.stringify(evs));
  });

  test('a watch from a future or malformed resourceVersion fails with a Status', async () => {
    const bad = await watch(t(), '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=abc');
    if (bad.status === 200) {
      const evs = await bad.until((e) => e.length >= 1);
      assert.equal(evs[0].type, 'ERROR');
    } else {
      assert.ok(bad.status >= 400 && bad.status < 500, `${bad.status} ${bad.text}`);
      await bad.end();
      assert.equal((JSON.parse(bad.text) as Record<string, unknown>).kind, 'Status');
    }
    bad.close();
  });
});

describe('writes', () => {
  test('deletecollection with a label selector removes only matching objects', async () => {
    const ns = await mkns('delcoll');
    for (let i = 0; i < 6; i++) {
      await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap(`d${i}`, { k: 'v' }, { group: i < 4 ? 'doomed' : 'kept' }) }));
    }
    const w = await watch(t(), `${ns}/configmaps?watch=1&resourceVersion=${rvOf(await ok(api(t(), 'GET', `${ns}/configmaps`), 200))}`);
    try {
      const r = await ok(api(t(), 'DELETE', `${ns}/configmaps?labelSelector=group%3Ddoomed`), 200);
      // Upstream answers a deletecollection with the list of deleted objects.
      assert.equal(r.json.kind, 'ConfigMapList', show(r));
      assert.deepEqual(names(r.json), ['d0', 'd1', 'd2', 'd3']);
      const left = await ok(api(t(), 'GET', `${ns}/configmaps`), 200);
      assert.deepEqual(names(left.json), ['d4', 'd5']);
      const evs = await w.until((e) => e.length >= 4);
      assert.deepEqual(evSummary(evs).sort(), [['DELETED', 'd0'], ['DELETED', 'd1'], ['DELETED', 'd2'], ['DELETED', 'd3']]);
    } finally {
      w.close();
    }
  });

  test('dryRun=All stores nothing for create, update and delete', async () => {
    const ns = await mkns('dryrun');
    const dc = await ok(api(t(), 'POST', `${ns}/configmaps?dryRun=All`, { body: configMap('dry') }));
    assert.equal(str(dc.json, 'metadata.name'), 'dry');
    assert.ok(str(dc.json, 'metadata.uid') !== '');
    const g = await api(t(), 'GET', `${ns}/configmaps/dry`);
    assert.equal(g.status, 404, show(g));

    const real = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: configMap('real', { k: 'v1' }) }));
    const du = await ok(api(t(), 'PUT', `${ns}/configmaps/real?dryRun=All`, { body: { ...real.json, data: { k: 'v2' } } }), 200);
    assert.equal(at(du.json, 'data.k'), 'v2');
    const dd = await api(t(), 'DELETE', `${ns}/configmaps/real?dryRun=All`);
    assert.equal(dd.status, 200, show(dd));
    const dp = await ok(api(t(), 'PATCH', `${ns}/configmaps/real?dryRun=All`, {
      body: { data: { k: 'v3' } }, headers: { 'Content-Type': 'application/merge-patch+json' },
    }), 200);
    assert.equal(at(dp.json, 'data.k'), 'v3');
    const after = await ok(api(t(), 'GET', `${ns}/configmaps/real`), 200);
    assert.equal(at(after.json, 'data.k'), 'v1');
    assert.equal(rvOf(after), rvOf(real));

    const svc = await ok(api(t(), 'POST', `${ns}/services?dryRun=All`, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dry-svc' }, spec: { ports: [{ port: 80 }] } } }));
    assert.match(str(svc.json, 'spec.clusterIP'), /^10\.43\./);
    const sg = await api(t(), 'GET', `${ns}/services/dry-svc`);
    assert.equal(sg.status, 404, show(sg));
    const list = await ok(api(t(), 'GET', `${ns}/configmaps`), 200);
    assert.deepEqual(names(list.json), ['real']);
    const bad = await api(t(), 'POST', `${ns}/configmaps?dryRun=Some`, { body: configMap('dry2') });
    assert.equal(bad.status, 400, show(bad));
  });

  test('generateName creates unique names with the prefix', async () => {
    const ns = await mkns('genname');
    const made = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await ok(api(t(), 'POST', `${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' }, data: { i: String(i) } } }));
      const name = str(r.json, 'metadata.name');
      assert.match(name, /^gen-[a-z0-9]{5}$/);
      assert.equal(str(r.json, 'metadata.generateName'), 'gen-');
      made.add(name);
      const g = await ok(api(t(), 'GET', `${ns}/configmaps/${name}`), 200);
      assert.equal(at(g.json, 'data.i'), String(i));
    }
    assert.equal(made.size, 5);
    const bad = await api(t(), 'POST', `${ns}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'Bad_' } } });
    assert.equal(bad.status, 422, show(bad));
  });
});

describe('Table output', () => {
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

  test('pods list as a Table has upstream columns and one row per pod', async () => {
    const ns = await mkns('tables');
    await ok(api(t(), 'POST', `${ns}/pods`, { body: pod('tp-1', { nodeName: 'node-a' }) }));
    await ok(api(t(), 'POST', `${ns}/pods`, { body: pod('tp-2') }));
    const r = await ok(api(t(), 'GET', `${ns}/pods`, { headers: { Accept: TABLE } }), 200);
    assert.equal(r.json.kind, 'Table', show(r));
    assert.equal(r.json.apiVersion, 'meta.k8s.io/v1');
    const cols = arr(r.json, 'columnDefinitions').map((c) => str(c, 'name'));
    assert.deepEqual(cols, ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    const prio = arr(r.json, 'columnDefinitions').map((c) => at(c, 'priority'));
    assert.deepEqual(prio, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
    const rows = arr(r.json, 'rows');
    assert.equal(rows.length, 2);
    const cells = arr(rows[0], 'cells');
    assert.equal(cells[0], 'tp-1');
    assert.equal(cells[1], '0/1');
    assert.equal(cells[2], 'Pending');
    assert.equal(cells[3], '0');
    assert.equal(cells[5], '<none>');
    assert.equal(cells[6], 'node-a');
    assert.equal(at(rows[0], 'object.kind'), 'PartialObjectMetadata');
    assert.equal(at(rows[0], 'object.metadata.name'), 'tp-1');
    assert.match(str(r.json, 'metadata.resourceVersion'), /^\d+$/);

    const one = await ok(api(t(), 'GET', `${ns}/pods/tp-2`, { headers: { Accept: TABLE } }), 200);
    assert.equal(one.json.kind, 'Table');
    assert.equal(arr(one.json, 'rows').length, 1);
    assert.equal(arr(arr(one.json, 'rows')[0], 'cells')[6], '<none>');

    const noObj = await ok(api(t(), 'GET', `${ns}/pods?includeObject=None`, { headers: { Accept: TABLE } }), 200);
    assert.equal(at(arr(noObj.json, 'rows')[0], 'object'), null, 'upstream encodes an empty RawExtension as null');
  });
});

describe('through kubectl', () => {
  test('kubectl get uses the server-side tables, chunked lists and selectors', async () => {
    const ns = await mkns('kc-list');
    for (let i = 0; i < 9; i++) {
      await ok(api(t(), 'POST', `/api/v1/namespaces/kc-list/configmaps`, { body: configMap(`k${i}`, { k: 'v' }, { half: i < 5 ? 'low' : 'high' }) }));
    }
    await ok(api(t(), 'POST', `${ns}/pods`, { body: pod('kp', { nodeName: 'node-z' }) }));

    const chunked = await kubectl(server, ['get', 'configmaps', '-n', 'kc-list', '--chunk-size=2', '-o', 'name']);
    assert.equal(chunked.code, 0, chunked.stderr);
    const listed = chunked.stdout.trim().split('\n').filter((l) => l.startsWith('configmap/k'));
    assert.deepEqual(listed, Array.from({ length: 9 }, (_, i) => `configmap/k${i}`));

    const sel = await kubectl(server, ['get', 'configmaps', '-n', 'kc-list', '-l', 'half in (high)', '-o', 'name']);
    assert.equal(sel.code, 0, sel.stderr);
    assert.deepEqual(sel.stdout.trim().split('\n'), ['configmap/k5', 'configmap/k6', 'configmap/k7', 'configmap/k8']);

    const pods = await kubectl(server, ['get', 'pods', '-n', 'kc-list']);
    assert.equal(pods.code, 0, pods.stderr);
    const [header, row] = pods.stdout.trim().split('\n');
    assert.deepEqual(header.split(/\s{2,}/), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.deepEqual(row.split(/\s+/).slice(0, 4), ['kp', '0/1', 'Pending', '0']);

    const wide = await kubectl(server, ['get', 'pods', '-n', 'kc-list', '-o', 'wide', '--field-selector', 'spec.nodeName=node-z']);
    assert.equal(wide.code, 0, wide.stderr);
    const [wh, wr] = wide.stdout.trim().split('\n');
    assert.deepEqual(wh.split(/\s{2,}/), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    assert.ok(wr.includes('node-z'), wr);

    const del = await kubectl(server, ['delete', 'configmaps', '-n', 'kc-list', '-l', 'half=low']);
    assert.equal(del.code, 0, del.stderr);
    const left = await ok(api(t(), 'GET', `${ns}/configmaps?labelSelector=half`), 200);
    assert.deepEqual(names(left.json), ['k5', 'k6', 'k7', 'k8']);
  });
});

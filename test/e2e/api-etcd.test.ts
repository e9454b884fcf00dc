/**
 * The same API server on etcd (`--datastore-endpoint etcd://...`, Debian's etcd started by the
 * test): create, get, list (with pagination and exact resourceVersions), watch, update conflicts,
 * delete, and a restart that keeps every object.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { startEtcd } from '../helpers/etcd.js';
import type { EtcdInstance } from '../helpers/etcd.js';
import { api, arr, at, configMap, names, namespace, show, str, watch } from './support-api.js';
import type { ApiResponse, ApiTarget } from './support-api.js';

let etcd: EtcdInstance | undefined;
let server: TestServer | undefined;

function t(): ApiTarget {
  assert.ok(server, 'server started');
  return server;
}

async function ok(r: Promise<ApiResponse>, code = 201): Promise<ApiResponse> {
  const res = await r;
  assert.equal(res.status, code, show(res));
  return res;
}

function rv(r: ApiResponse): number {
  return Number(str(r.json, 'metadata.resourceVersion'));
}

const NS = '/api/v1/namespaces/on-etcd';

before(async () => {
  etcd = await startEtcd();
  server = await startServer({ args: ['--datastore-endpoint', `etcd://${etcd.endpoint}`, '--controllers', 'garbage-collector,namespace', '--disable-scheduler'] });
});

after(async () => {
  await server?.cleanup();
  await etcd?.stop();
});

describe('API server on etcd', () => {
  test('bootstrap objects exist', async () => {
    const k = await ok(api(t(), 'GET', '/api/v1/namespaces/default/services/kubernetes'), 200);
    assert.equal(str(k.json, 'spec.clusterIP'), '10.43.0.1');
    const nss = await ok(api(t(), 'GET', '/api/v1/namespaces'), 200);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names(nss.json).includes(n), n);
  });

  test('create, get, list, update conflict and delete', async () => {
    await ok(api(t(), 'POST', '/api/v1/namespaces', { body: namespace('on-etcd') }));
    const a = await ok(api(t(), 'POST', `${NS}/configmaps`, { body: configMap('a', { v: '1' }, { app: 'x' }) }));
    assert.ok(rv(a) > 0);
    assert.match(str(a.json, 'metadata.uid'), /^[0-9a-f-]{36}$/);
    const dup = await api(t(), 'POST', `${NS}/configmaps`, { body: configMap('a') });
    assert.equal(dup.status, 409, show(dup));
    assert.equal(dup.json.reason, 'AlreadyExists');

    const g = await ok(api(t(), 'GET', `${NS}/configmaps/a`), 200);
    assert.deepEqual(g.json, a.json);
    const missing = await api(t(), 'GET', `${NS}/configmaps/nope`);
    assert.equal(missing.status, 404, show(missing));
    assert.equal(missing.json.message, 'configmaps "nope" not found');

    for (let i = 0; i < 7; i++) await ok(api(t(), 'POST', `${NS}/configmaps`, { body: configMap(`p${i}`, { v: String(i) }, { app: i % 2 ? 'x' : 'y' }) }));
    const all = await ok(api(t(), 'GET', `${NS}/configmaps`), 200);
    assert.deepEqual(names(all.json), ['a', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    const sel = await ok(api(t(), 'GET', `${NS}/configmaps?labelSelector=app%3Dx`), 200);
    assert.deepEqual(names(sel.json), ['a', 'p1', 'p3', 'p5']);

    const seen: string[] = [];
    let token = '';
    for (let guard = 0; guard < 10; guard++) {
      const page = await ok(api(t(), 'GET', `${NS}/configmaps?limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`), 200);
      seen.push(...names(page.json));
      token = str(page.json, 'metadata.continue');
      if (!token) break;
    }
    assert.deepEqual(seen, names(all.json));

    const u = await ok(api(t(), 'PUT', `${NS}/configmaps/a`, { body: { ...a.json, data: { v: '2' } } }), 200);
    assert.ok(rv(u) > rv(a));
    const stale = await api(t(), 'PUT', `${NS}/configmaps/a`, { body: { ...a.json, data: { v: '3' } } });
    assert.equal(stale.status, 409, show(stale));
    assert.equal(stale.json.reason, 'Conflict');
    assert.ok(String(stale.json.message).includes('the object has been modified; please apply your changes to the latest version and try again'));
    const afterConflict = await ok(api(t(), 'GET', `${NS}/configmaps/a`), 200);
    assert.equal(at(afterConflict.json, 'data.v'), '2');

    const exact = await ok(api(t(), 'GET', `${NS}/configmaps?resourceVersion=${rv(a)}&resourceVersionMatch=Exact`), 200);
    assert.deepEqual(names(exact.json), ['a']);
    assert.equal(at(arr(exact.json, 'items')[0], 'data.v'), '1');

    const patched = await ok(api(t(), 'PATCH', `${NS}/configmaps/a`, {
      body: { data: { w: 'x' } }, headers: { 'Content-Type': 'application/merge-patch+json' },
    }), 200);
    assert.deepEqual(at(patched.json, 'data'), { v: '2', w: 'x' });

    const d = await ok(api(t(), 'DELETE', `${NS}/configmaps/p6`), 200);
    assert.equal(d.json.status, 'Success');
    const gone = await api(t(), 'GET', `${NS}/configmaps/p6`);
    assert.equal(gone.status, 404, show(gone));
    const again = await api(t(), 'DELETE', `${NS}/configmaps/p6`);
    assert.equal(again.status, 404, show(again));
  });

  test('watch from a resourceVersion sees every later change in order', async () => {
    const start = await ok(api(t(), 'GET', `${NS}/configmaps`), 200);
    const w = await watch(t(), `${NS}/configmaps?watch=1&resourceVersion=${str(start.json, 'metadata.resourceVersion')}`);
    try {
      assert.equal(w.status, 200, w.text);
      const c = await ok(api(t(), 'POST', `${NS}/configmaps`, { body: configMap('watched') }));
      await ok(api(t(), 'PUT', `${NS}/configmaps/watched`, { body: { ...c.json, data: { k: 'v2' } } }), 200);
      await ok(api(t(), 'DELETE', `${NS}/configmaps/watched`), 200);
      await ok(api(t(), 'DELETE', `${NS}/configmaps/p5`), 200);
      const evs = await w.until((e) => e.length >= 4);
      assert.deepEqual(evs.map((e) => [e.type, str(e.object, 'metadata.name')]), [
        ['ADDED', 'watched'], ['MODIFIED', 'watched'], ['DELETED', 'watched'], ['DELETED', 'p5'],
      ]);
      const rvs = evs.map((e) => Number(str(e.object, 'metadata.resourceVersion')));
      for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i] > rvs[i - 1], rvs.join(','));
      assert.equal(at(evs[1].object, 'data.k'), 'v2');
    } finally {
      w.close();
    }
    const bm = await watch(t(), `${NS}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${str(start.json, 'metadata.resourceVersion')}`);
    try {
      await bm.until((e) => e.some((x) => x.type === 'BOOKMARK'), 20_000);
    } finally {
      bm.close();
    }
  });

  test('a restart keeps every object and the resourceVersion sequence', async () => {
    assert.ok(server);
    const before = await ok(api(t(), 'GET', `${NS}/configmaps`), 200);
    const svc = await ok(api(t(), 'POST', `${NS}/services`, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } } }));
    const beforeRv = Math.max(rv(before), rv(svc));
    await server.restart();
    const after = await ok(api(t(), 'GET', `${NS}/configmaps`), 200);
    assert.deepEqual(arr(after.json, 'items'), arr(before.json, 'items'));
    const s = await ok(api(t(), 'GET', `${NS}/services/s`), 200);
    assert.deepEqual(s.json, svc.json);
    // The ClusterIP stays taken after the restart.
    const dupIp = await api(t(), 'POST', `${NS}/services`, { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's2' }, spec: { clusterIP: str(svc.json, 'spec.clusterIP'), ports: [{ port: 80 }] } } });
    assert.equal(dupIp.status, 422, show(dupIp));
    const fresh = await ok(api(t(), 'POST', `${NS}/configmaps`, { body: configMap('after-restart') }));
    assert.ok(rv(fresh) > beforeRv, `${rv(fresh)} > ${beforeRv}`);
    // A watch from before the restart resumes.
    const w = await watch(t(), `${NS}/configmaps?watch=1&resourceVersion=${beforeRv}`);
    try {
      const evs = await w.until((e) => e.length >= 1);
      assert.deepEqual(evs.map((e) => [e.type, str(e.object, 'metadata.name')]), [['ADDED', 'after-restart']]);
    } finally {
      w.close();
    }
  });
});

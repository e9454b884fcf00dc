/**
 * Durability of the embedded (SQLite) store through the real server: a clean restart keeps every
 * object, the certificates and the resourceVersion sequence; a `kill -9` in the middle of 16
 * concurrent writers loses no acknowledged write, and a watch resumed from the last
 * resourceVersion seen before the kill misses nothing written after it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { api, arr, at, configMap, names, namespace, show, str, watch } from './support-api.js';
import type { ApiResponse, ApiTarget } from './support-api.js';

let server: TestServer;

function t(): ApiTarget {
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

before(async () => {
  server = await startServer({ args: ['--controllers', 'garbage-collector,namespace', '--disable-scheduler'] });
});

after(async () => {
  await server?.cleanup();
});

describe('restart on the same data dir', () => {
  test('keeps every object, the certificates and the resourceVersion sequence', async () => {
    const tls = join(server.dataDir, 'tls');
    const caBefore = await readFile(join(tls, 'server-ca.crt'), 'utf8');
    const adminBefore = await readFile(join(tls, 'client-admin.crt'), 'utf8');

    await ok(api(t(), 'POST', '/api/v1/namespaces', { body: namespace('keep') }));
    const created: { path: string; res: ApiResponse }[] = [];
    const add = async (path: string, body: Record<string, unknown>): Promise<void> => {
      const res = await ok(api(t(), 'POST', path, { body }));
      created.push({ path: `${path}/${str(res.json, 'metadata.name')}`, res });
    };
    for (let i = 0; i < 10; i++) await add('/api/v1/namespaces/keep/configmaps', configMap(`cm-${i}`, { i: String(i) }, { idx: String(i) }));
    await add('/api/v1/namespaces/keep/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { p: 'secret' } });
    await add('/api/v1/namespaces/keep/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    await add('/apis/apps/v1/namespaces/keep/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:stable' }] } } },
    });
    // An update and a delete are part of the history too.
    const cm0 = created[0].res;
    const upd = await ok(api(t(), 'PUT', '/api/v1/namespaces/keep/configmaps/cm-0', { body: { ...cm0.json, data: { i: 'changed' } } }), 200);
    created[0] = { path: created[0].path, res: upd };
    await ok(api(t(), 'DELETE', '/api/v1/namespaces/keep/configmaps/cm-9'), 200);
    created.splice(9, 1);

    const listBefore = await ok(api(t(), 'GET', '/api/v1/namespaces/keep/configmaps'), 200);
    const rvBefore = Number(str(listBefore.json, 'metadata.resourceVersion'));

    await server.restart();

    assert.equal(await readFile(join(tls, 'server-ca.crt'), 'utf8'), caBefore, 'the CA is kept');
    assert.equal(await readFile(join(tls, 'client-admin.crt'), 'utf8'), adminBefore, 'the admin certificate is kept');
    const kubeconfig = await readFile(server.kubeconfig, 'utf8');
    assert.ok(kubeconfig.includes(Buffer.from(caBefore).toString('base64')), 'the rewritten kubeconfig carries the same CA');

    for (const { path, res } of created) {
      const g = await ok(api(t(), 'GET', path), 200);
      assert.deepEqual(g.json, res.json, `${path} is unchanged by the restart`);
    }
    await ok(api(t(), 'GET', '/api/v1/namespaces/keep/configmaps/cm-9'), 404);
    const listAfter = await ok(api(t(), 'GET', '/api/v1/namespaces/keep/configmaps'), 200);
    assert.deepEqual(names(listAfter.json), names(listBefore.json));
    assert.ok(Number(str(listAfter.json, 'metadata.resourceVersion')) >= rvBefore);
    // Old revisions are still readable after the restart.
    const exact = await ok(api(t(), 'GET', `/api/v1/namespaces/keep/configmaps?resourceVersion=${rv(cm0)}&resourceVersionMatch=Exact`), 200);
    assert.equal(at(arr(exact.json, 'items').find((i) => str(i, 'metadata.name') === 'cm-0'), 'data.i'), '0');

    const fresh = await ok(api(t(), 'POST', '/api/v1/namespaces/keep/configmaps', { body: configMap('after-restart') }));
    assert.ok(rv(fresh) > rvBefore, `new writes get higher resourceVersions (${rv(fresh)} > ${rvBefore})`);
    for (const { res } of created) assert.ok(rv(fresh) > rv(res));
  });
});

describe('kill -9 during concurrent writes', () => {
  test('every acknowledged write survives and a resumed watch misses nothing', async () => {
    await ok(api(t(), 'POST', '/api/v1/namespaces', { body: namespace('crash') }));
    const base = '/api/v1/namespaces/crash/configmaps';
    const start = await ok(api(t(), 'GET', base), 200);
    const w = await watch(t(), `${base}?watch=1&resourceVersion=${str(start.json, 'metadata.resourceVersion')}`);
    assert.equal(w.status, 200, w.text);

    const acked = new Map<string, number>();
    let stop = false;
    const writer = async (id: number): Promise<void> => {
      for (let n = 0; !stop; n++) {
        const name = `w${String(id).padStart(2, '0')}-${String(n).padStart(5, '0')}`;
        let r: ApiResponse;
        try {
          r = await api(t(), 'POST', base, { body: configMap(name, { writer: String(id), n: String(n) }), timeoutMs: 10_000 });
        } catch {
          return; // the server went away mid-request: this write is not acknowledged
        }
        if (r.status !== 201) {
          if (stop) return;
          throw new Error(`writer ${id}: ${show(r)}`);
        }
        acked.set(name, rv(r));
      }
    };
    const writers = Array.from({ length: 16 }, (_, i) => writer(i));
    // Let the writers get going, then kill the server under them.
    // The watching client lags: it has processed the events up to when 200 writes were acknowledged.
    const deadline = Date.now() + 30_000;
    while (acked.size < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const processed = w.events.length;
    while (acked.size < 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(acked.size >= 100, `only ${acked.size} writes were acknowledged before the kill`);
    const exit = await server.kill9();
    stop = true;
    assert.equal(exit.signal, 'SIGKILL');
    await Promise.all(writers);
    await w.end(10_000).catch(() => undefined);
    w.close();

    // The last resourceVersion the watching client saw before the kill.
    const seen = w.events.slice(0, processed).filter((e) => e.type === 'ADDED');
    const lastSeen = seen.reduce((m, e) => Math.max(m, Number(str(e.object, 'metadata.resourceVersion'))), Number(str(start.json, 'metadata.resourceVersion')));
    for (const e of seen) {
      const name = str(e.object, 'metadata.name');
      if (acked.has(name)) assert.equal(Number(str(e.object, 'metadata.resourceVersion')), acked.get(name));
    }

    await server.restart();

    const list = await ok(api(t(), 'GET', base), 200);
    const stored = new Map(arr(list.json, 'items').map((i) => [str(i, 'metadata.name'), Number(str(i, 'metadata.resourceVersion'))]));
    const lost = [...acked.keys()].filter((n) => !stored.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.size} acknowledged writes were lost`);
    for (const [name, r] of acked) assert.equal(stored.get(name), r, `${name} keeps its resourceVersion`);

    // Everything stored after lastSeen (acknowledged or not) must come through the resumed watch.
    const expected = new Set([...stored].filter(([, r]) => r > lastSeen).map(([n]) => n));
    for (const [name, r] of acked) if (r > lastSeen) assert.ok(expected.has(name));
    assert.ok(expected.size >= 100, `the resumed watch has ${expected.size} objects to deliver (last seen ${lastSeen})`);
    const resumed = await watch(t(), `${base}?watch=1&resourceVersion=${lastSeen}`);
    try {
      assert.equal(resumed.status, 200, resumed.text);
      const evs = await resumed.until((e) => {
        if (e.some((x) => x.type === 'ERROR')) return true;
        const got = new Set(e.map((x) => str(x.object, 'metadata.name')));
        return [...expected].every((n) => got.has(n));
      }, 30_000);
      const errors = evs.filter((e) => e.type === 'ERROR');
      assert.deepEqual(errors, [], `resumed watch from ${lastSeen} failed`);
      const rvs = evs.map((e) => Number(str(e.object, 'metadata.resourceVersion')));
      for (let i = 0; i < rvs.length; i++) {
        assert.ok(rvs[i] > lastSeen, `event at ${rvs[i]} is not after ${lastSeen}`);
        if (i > 0) assert.ok(rvs[i] > rvs[i - 1], 'events arrive in resourceVersion order');
      }
      for (const e of evs) {
        assert.equal(e.type, 'ADDED');
        assert.equal(Number(str(e.object, 'metadata.resourceVersion')), stored.get(str(e.object, 'metadata.name')));
      }
      const next = await ok(api(t(), 'POST', base, { body: configMap('after-crash') }));
      const maxStored = Math.max(...stored.values());
      assert.ok(rv(next) > maxStored, `resourceVersions continue after the crash (${rv(next)} > ${maxStored})`);
      const live = await resumed.until((e) => e.some((x) => str(x.object, 'metadata.name') === 'after-crash'));
      assert.equal(live[live.length - 1].type, 'ADDED');
    } finally {
      resumed.close();
    }
  });
});

/**
 * Compaction as a client sees it, on an in-process API server over a SQLite store in a temp dir
 * (compaction cannot be forced on a `skiff server` child from outside, so this suite calls
 * `store.compact()` itself): exact lists and continue tokens at compacted revisions are 410, a
 * watch from a compacted revision ends with an ERROR event carrying a 410 "too old resource
 * version" Status, and a watch from history that is older than the watch cache but not compacted
 * still replays every change.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/storage/index.js';
import type { Store } from '../../src/storage/store.js';
import { ensurePki } from '../../src/apiserver/auth/pki.js';
import type { Pki } from '../../src/apiserver/auth/pki.js';
import { createAuthenticator } from '../../src/apiserver/auth/authenticator.js';
import { createApiServer } from '../../src/apiserver/server.js';
import type { ApiServer } from '../../src/apiserver/server.js';
import { bootstrapCluster } from '../../src/apiserver/bootstrap.js';
import { api, configMap, names, namespace, show, str, watch } from '../e2e/support-api.js';
import type { ApiResponse, ApiTarget } from '../e2e/support-api.js';

let dir = '';
let pki: Pki;
let store: Store;
let server: ApiServer | undefined;
let target: ApiTarget;

async function startApi(): Promise<void> {
  const s = createApiServer({
    store,
    authenticator: createAuthenticator({ caCertPem: pki.caCertPem }),
    tls: { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem },
    serviceCidr: '10.43.0.0/16', nodePortRange: '30000-32767',
  });
  const port = await s.listen(0, '127.0.0.1');
  await s.ready;
  await bootstrapCluster(s, { serviceCidr: '10.43.0.0/16', advertiseAddress: '127.0.0.1', port });
  s.markReady();
  server = s;
  target = { url: `https://127.0.0.1:${port}`, dataDir: dir };
}

async function ok(r: Promise<ApiResponse>, code = 201): Promise<ApiResponse> {
  const res = await r;
  assert.equal(res.status, code, show(res));
  return res;
}

function rv(r: ApiResponse): number {
  return Number(str(r.json, 'metadata.resourceVersion'));
}

const NS = '/api/v1/namespaces/compaction';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-int-compaction-'));
  pki = await ensurePki({ dir });
  store = await openStore(undefined, dir);
  await startApi();
});

after(async () => {
  await server?.close();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('compaction', () => {
  const revs: number[] = [];
  let token = '';

  test('history is readable before compaction', async () => {
    await ok(api(target, 'POST', '/api/v1/namespaces', { body: namespace('compaction') }));
    for (let i = 0; i < 5; i++) revs.push(rv(await ok(api(target, 'POST', `${NS}/configmaps`, { body: configMap(`c${i}`) }))));
    const exact = await ok(api(target, 'GET', `${NS}/configmaps?resourceVersion=${revs[1]}&resourceVersionMatch=Exact`), 200);
    assert.deepEqual(names(exact.json), ['c0', 'c1']);
    const page = await ok(api(target, 'GET', `${NS}/configmaps?limit=2`), 200);
    token = str(page.json, 'metadata.continue');
    assert.ok(token);
  });

  test('after compaction, exact lists and continue tokens at older revisions are 410', async () => {
    revs.push(rv(await ok(api(target, 'POST', `${NS}/configmaps`, { body: configMap('c5') }))));
    const current = await store.currentRevision();
    await store.compact(current);
    const exact = await api(target, 'GET', `${NS}/configmaps?resourceVersion=${revs[1]}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 410, show(exact));
    assert.equal(exact.json.kind, 'Status');
    assert.equal(exact.json.code, 410);
    const cont = await api(target, 'GET', `${NS}/configmaps?limit=2&continue=${encodeURIComponent(token)}`);
    assert.equal(cont.status, 410, show(cont));
    assert.equal(cont.json.reason, 'Expired');
    assert.ok(String(cont.json.message).includes('continue'), show(cont));
    // Current state is intact.
    const list = await ok(api(target, 'GET', `${NS}/configmaps`), 200);
    assert.deepEqual(names(list.json), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    const atCompaction = await ok(api(target, 'GET', `${NS}/configmaps?resourceVersion=${current}&resourceVersionMatch=Exact`), 200);
    assert.equal(names(atCompaction.json).length, 6);
  });

  test('a watch from a compacted revision gets an ERROR event with 410 too old resource version', async () => {
    // A fresh API server: its watch cache starts now, so old revisions must come from the store.
    await server?.close();
    server = undefined;
    await startApi();
    const w = await watch(target, `${NS}/configmaps?watch=1&resourceVersion=${revs[0]}`);
    try {
      if (w.status === 200) {
        const evs = await w.until((e) => e.length >= 1);
        assert.equal(evs.length, 1, JSON.stringify(evs));
        assert.equal(evs[0].type, 'ERROR');
        assert.equal(evs[0].object.kind, 'Status');
        assert.equal(evs[0].object.code, 410);
        assert.equal(evs[0].object.reason, 'Expired');
        assert.match(String(evs[0].object.message), /^too old resource version: /);
        await w.end();
      } else {
        assert.equal(w.status, 410, w.text);
        await w.end();
        assert.ok(w.text.includes('too old resource version'), w.text);
      }
    } finally {
      w.close();
    }
  });

  test('a watch from uncompacted history older than the watch cache replays every change', async () => {
    const from = await store.currentRevision();
    const a = await ok(api(target, 'POST', `${NS}/configmaps`, { body: configMap('h1') }));
    await ok(api(target, 'DELETE', `${NS}/configmaps/c0`), 200);
    // Restart the API server again so `from` is older than its cache but newer than the compaction.
    await server?.close();
    server = undefined;
    await startApi();
    const w = await watch(target, `${NS}/configmaps?watch=1&resourceVersion=${from}`);
    try {
      assert.equal(w.status, 200, w.text);
      await ok(api(target, 'POST', `${NS}/configmaps`, { body: configMap('h2') }));
      const evs = await w.until((e) => e.length >= 3);
      assert.deepEqual(evs.map((e) => [e.type, str(e.object, 'metadata.name')]), [['ADDED', 'h1'], ['DELETED', 'c0'], ['ADDED', 'h2']]);
      assert.equal(Number(str(evs[0].object, 'metadata.resourceVersion')), rv(a));
    } finally {
      w.close();
    }
  });
});

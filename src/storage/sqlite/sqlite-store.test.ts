import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runStoreContract } from '../store.contract.js';
import { createSqliteStore, startCompactor } from './sqlite-store.js';
import type { WatchEvent } from '../store.js';

runStoreContract('sqlite :memory:', async () => {
  const store = createSqliteStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
});

runStoreContract('sqlite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-sqlite-'));
  const store = createSqliteStore({ path: join(dir, 'state.db') });
  return {
    store,
    async cleanup() { await store.close(); await rm(dir, { recursive: true, force: true }); },
  };
});

describe('sqlite store specifics', () => {
  it('keeps the revision sequence across restart, even after compaction removed the newest rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-sqlite-'));
    try {
      const path = join(dir, 'state.db');
      let s = createSqliteStore({ path });
      const a = await s.create('/k/a', '1');
      const d = await s.delete('/k/a', a.modRevision); // newest row is a tombstone
      await s.compact(d.modRevision + 0);
      const b = await s.create('/k/b', '1');
      await s.delete('/k/b');
      const last = await s.currentRevision();
      await s.compact(last);
      await s.close();

      s = createSqliteStore({ path });
      assert.equal(await s.currentRevision(), last);
      assert.equal(await s.compactedRevision(), last);
      const c = await s.create('/k/c', '1');
      assert.equal(c.modRevision, last + 1);
      assert.ok(c.modRevision > b.modRevision);
      assert.deepEqual((await s.list('/k/')).items.map((i) => i.key), ['/k/c']);
      await s.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('compacts a long history in steps down to one row per live key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-sqlite-'));
    try {
      const path = join(dir, 'state.db');
      const s = createSqliteStore({ path });
      const live = await Promise.all(Array.from({ length: 20 }, (_, i) => s.create(`/h/${i}`, '0')));
      for (let round = 1; round <= 120; round++) {
        await Promise.all(live.map(async (kv, i) => { live[i] = await s.update(kv.key, String(round), kv.modRevision); }));
      }
      const gone = await s.create('/h/gone', 'x');
      await s.delete('/h/gone', gone.modRevision);
      const rev = await s.currentRevision();
      assert.ok(rev > 2400);
      const w: WatchEvent[] = [];
      const watcher = s.watch('/h/', { afterRevision: rev - 1 }, { onEvents: (e) => w.push(...e) });
      await s.compact(rev);
      const raw = new Database(path, { readonly: true });
      const rows = raw.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM kine').get()?.n;
      raw.close();
      // the 20 live keys, the tombstone at `rev` (the compaction revision stays watchable) and the
      // row it deleted (its prevKv)
      assert.equal(rows, 22);
      assert.deepEqual((await s.list('/h/')).items.map((i) => i.value), Array.from({ length: 20 }, () => '120'));
      const next = await s.update(live[0].key, 'after', live[0].modRevision);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(w.map((e) => e.type), ['delete', 'update']);
      assert.equal(w[1].prevKv?.value, '120');
      assert.equal(w[1].revision, next.modRevision);
      watcher.close();
      await s.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('acknowledged writes survive kill -9 of the writing process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-sqlite-'));
    try {
      const path = join(dir, 'state.db');
      const moduleUrl = new URL('./sqlite-store.ts', import.meta.url).href;
      const script = `
        const { createSqliteStore } = await import(${JSON.stringify(moduleUrl)});
        const s = createSqliteStore({ path: ${JSON.stringify(path)} });
        for (let i = 0; ; i++) {
          await Promise.all(Array.from({ length: 8 }, (_, j) => s.create('/crash/' + i + '-' + j, 'v')));
          process.stdout.write('acked ' + i + '\\n');
        }`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      });
      const exited = new Promise((r) => child.once('exit', r));
      let lastAcked = -1;
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buf += chunk.toString();
          const m = [...buf.matchAll(/acked (\d+)\n/g)];
          if (m.length > 0) lastAcked = Number(m[m.length - 1][1]);
          if (lastAcked >= 50) { child.kill('SIGKILL'); resolve(); }
        });
        child.on('exit', () => resolve());
        child.on('error', reject);
        setTimeout(() => reject(new Error('child made no progress')), 20_000).unref();
      });
      await exited;
      assert.ok(lastAcked >= 50, `child acknowledged only ${lastAcked} batches`);
      const s = createSqliteStore({ path });
      const { count } = await s.count('/crash/');
      assert.ok(count >= (lastAcked + 1) * 8, `only ${count} keys survived, ${(lastAcked + 1) * 8} were acknowledged`);
      for (let j = 0; j < 8; j++) assert.ok(await s.get(`/crash/${lastAcked}-${j}`));
      await s.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('startCompactor compacts periodically without breaking a live watch', async () => {
    const s = createSqliteStore({ path: ':memory:' });
    const seen: WatchEvent[] = [];
    let error: Error | undefined;
    const w = s.watch('/c/', { afterRevision: 0 }, { onEvents: (e) => seen.push(...e), onError: (e) => { error = e; } });
    const compactor = startCompactor(s, { intervalMs: 20, retainRevisions: 5 });
    let kv = await s.create('/c/k', '0');
    for (let i = 1; i < 40; i++) {
      kv = await s.update('/c/k', String(i), kv.modRevision);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 30));
    }
    await new Promise((r) => setTimeout(r, 60));
    compactor.stop();
    w.close();
    assert.equal(error, undefined);
    assert.equal(seen.length, 40);
    const compacted = await s.compactedRevision();
    assert.ok(compacted >= kv.modRevision - 5 - 10, `compacted only to ${compacted}`);
    assert.ok(compacted <= kv.modRevision - 5);
    assert.equal((await s.get('/c/k'))?.value, '39');
    await s.close();
  });

  it('commits writes issued in the same tick in one group but reports per-write errors', async () => {
    const s = createSqliteStore({ path: ':memory:' });
    const a = await s.create('/g/a', 'x');
    const results = await Promise.allSettled([
      s.create('/g/b', '1'),
      s.update('/g/a', 'y', a.modRevision + 100),
      s.create('/g/c', '2'),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((await s.list('/g/')).items.length, 3);
    await s.close();
  });
});

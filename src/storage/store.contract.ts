/**
 * The one contract suite every Store backend must pass. Call it from a backend's test file with a
 * factory that returns a fresh, empty store (or a store whose keys under a unique prefix are fresh).
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompactedError, ConflictError, KeyExistsError, NotFoundError,
} from './store.js';
import type { Store, WatchEvent, Watcher } from './store.js';

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

/** Collects watch events; `waitFor(n)` resolves once n events arrived (or rejects on timeout). */
function collect(store: Store, prefix: string, afterRevision: number) {
  const events: WatchEvent[] = [];
  let error: Error | undefined;
  let wake: (() => void) | undefined;
  const watcher: Watcher = store.watch(prefix, { afterRevision }, {
    onEvents(evs) { events.push(...evs); wake?.(); },
    onError(err) { error = err; wake?.(); },
  });
  async function waitUntil(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${events.length} events, error ${String(error)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        wake = () => { clearTimeout(t); resolve(); };
      });
    }
  }
  return {
    events,
    get error() { return error; },
    watcher,
    waitFor: (n: number) => waitUntil(() => events.length >= n || error !== undefined, `${n} events`),
    waitError: () => waitUntil(() => error !== undefined, 'a watch error'),
  };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function runStoreContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    let n = 0;
    /** A prefix unique to one test, so tests never see each other's keys. */
    const fresh = () => `/contract/t${++n}-${Date.now().toString(36)}/`;

    before(async () => {
      fx = await factory();
      store = fx.store;
    });
    after(async () => {
      await fx?.cleanup();
    });

    it('creates and gets a key; a second create fails with KeyExistsError', async () => {
      const p = fresh();
      const before0 = await store.currentRevision();
      const kv = await store.create(`${p}a`, 'v1');
      assert.equal(kv.key, `${p}a`);
      assert.equal(kv.value, 'v1');
      assert.ok(kv.modRevision > before0);
      assert.equal(kv.createRevision, kv.modRevision);
      assert.deepEqual(await store.get(`${p}a`), kv);
      assert.equal(await store.get(`${p}missing`), undefined);
      await assert.rejects(store.create(`${p}a`, 'v2'), KeyExistsError);
      assert.equal((await store.get(`${p}a`))?.value, 'v1');
    });

    it('lists a prefix in key order with limit, startKey continuation and remaining count', async () => {
      const p = fresh();
      for (const k of ['c', 'a', 'e', 'b', 'd']) await store.create(`${p}${k}`, k);
      await store.create(`${p.slice(0, -1)}x/other`, 'outside'); // shares a shorter prefix only
      const all = await store.list(p);
      assert.deepEqual(all.items.map((i) => i.value), ['a', 'b', 'c', 'd', 'e']);
      assert.equal(all.more, false);
      assert.equal(all.revision, await store.currentRevision());

      const page1 = await store.list(p, { limit: 2 });
      assert.deepEqual(page1.items.map((i) => i.value), ['a', 'b']);
      assert.equal(page1.more, true);
      assert.equal(page1.remaining, 3);
      const page2 = await store.list(p, { limit: 2, startKey: `${p}c`, revision: page1.revision });
      assert.deepEqual(page2.items.map((i) => i.value), ['c', 'd']);
      assert.equal(page2.more, true);
      assert.equal(page2.remaining, 1);
      const page3 = await store.list(p, { limit: 2, startKey: `${p}e`, revision: page1.revision });
      assert.deepEqual(page3.items.map((i) => i.value), ['e']);
      assert.equal(page3.more, false);
      assert.equal((await store.count(p)).count, 5);
    });

    it('lists and gets at a historical revision', async () => {
      const p = fresh();
      const a = await store.create(`${p}a`, 'a1');
      const b = await store.create(`${p}b`, 'b1');
      const snapshot = b.modRevision;
      await store.update(`${p}a`, 'a2', a.modRevision);
      await store.delete(`${p}b`);
      await store.create(`${p}c`, 'c1');

      const now = await store.list(p);
      assert.deepEqual(now.items.map((i) => i.value), ['a2', 'c1']);
      const then = await store.list(p, { revision: snapshot });
      assert.equal(then.revision, snapshot);
      assert.deepEqual(then.items.map((i) => i.value), ['a1', 'b1']);
      assert.equal((await store.get(`${p}a`, { revision: snapshot }))?.value, 'a1');
      assert.equal((await store.get(`${p}b`, { revision: snapshot }))?.value, 'b1');
      assert.equal(await store.get(`${p}c`, { revision: snapshot }), undefined);
      assert.equal((await store.list(p, { revision: a.modRevision })).items.length, 1);
    });

    it('guards update by modRevision', async () => {
      const p = fresh();
      const v1 = await store.create(`${p}k`, '1');
      const v2 = await store.update(`${p}k`, '2', v1.modRevision);
      assert.equal(v2.value, '2');
      assert.ok(v2.modRevision > v1.modRevision);
      assert.equal(v2.createRevision, v1.createRevision);
      const err = await store.update(`${p}k`, '3', v1.modRevision).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ConflictError, `expected ConflictError, got ${String(err)}`);
      assert.equal((await store.get(`${p}k`))?.value, '2');
      await assert.rejects(store.update(`${p}nope`, 'x', 1), NotFoundError);
    });

    it('guards delete by modRevision and returns the deleted value', async () => {
      const p = fresh();
      const v1 = await store.create(`${p}k`, '1');
      const v2 = await store.update(`${p}k`, '2', v1.modRevision);
      await assert.rejects(store.delete(`${p}k`, v1.modRevision), ConflictError);
      const gone = await store.delete(`${p}k`, v2.modRevision);
      assert.equal(gone.value, '2');
      assert.equal(gone.createRevision, v1.createRevision);
      assert.ok(gone.modRevision > v2.modRevision);
      assert.equal(await store.get(`${p}k`), undefined);
      await assert.rejects(store.delete(`${p}k`), NotFoundError);
      // re-create after delete starts a new life
      const again = await store.create(`${p}k`, '3');
      assert.ok(again.createRevision > gone.modRevision);
      const d = await store.delete(`${p}k`);
      assert.equal(d.value, '3');
    });

    it('watches from a revision with prevKv on update and delete', async () => {
      const p = fresh();
      const start = await store.currentRevision();
      const w = collect(store, p, start);
      const c = await store.create(`${p}k`, '1');
      const u = await store.update(`${p}k`, '2', c.modRevision);
      const d = await store.delete(`${p}k`, u.modRevision);
      await store.create(`${p.slice(0, -1)}zzz`, 'not mine');
      await w.waitFor(3);
      await delay(50);
      w.watcher.close();
      assert.equal(w.error, undefined);
      assert.deepEqual(w.events.map((e) => e.type), ['create', 'update', 'delete']);
      const [ec, eu, ed] = w.events;
      assert.deepEqual(ec.kv, c);
      assert.equal(ec.revision, c.modRevision);
      assert.deepEqual(eu.kv, u);
      assert.deepEqual(eu.prevKv, c);
      assert.equal(ed.revision, d.modRevision);
      assert.equal(ed.kv.modRevision, d.modRevision);
      assert.equal(ed.kv.value, '2');
      assert.deepEqual(ed.prevKv, u);
    });

    it('replays history from an old revision, then continues live without gap or duplicate', async () => {
      const p = fresh();
      const start = await store.currentRevision();
      let last = await store.create(`${p}k`, '0');
      for (let i = 1; i < 5; i++) last = await store.update(`${p}k`, String(i), last.modRevision);
      const w = collect(store, p, start);
      await w.waitFor(5);
      for (let i = 5; i < 10; i++) last = await store.update(`${p}k`, String(i), last.modRevision);
      await w.waitFor(10);
      await delay(50);
      w.watcher.close();
      assert.deepEqual(w.events.map((e) => e.kv.value), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      const revs = w.events.map((e) => e.revision);
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i] > revs[i - 1], 'revisions strictly increase');
      assert.equal(w.events[3].prevKv?.value, '2');

      // starting in the middle delivers only the later events
      const mid = collect(store, p, w.events[6].revision);
      await mid.waitFor(3);
      await delay(50);
      mid.watcher.close();
      assert.deepEqual(mid.events.map((e) => e.kv.value), ['7', '8', '9']);
    });

    it('a watch that starts past the current revision gets only later events', async () => {
      const p = fresh();
      const now = await store.currentRevision();
      const w = collect(store, p, now + 2);
      await store.create(`${p}1`, '1'); // now+1
      await store.create(`${p}2`, '2'); // now+2 (unless other writes interleave, still <= start)
      const third = await store.create(`${p}3`, '3');
      await w.waitFor(1);
      await delay(50);
      w.watcher.close();
      assert.ok(w.events.every((e) => e.revision > now + 2));
      assert.deepEqual(w.events.map((e) => e.kv.value), ['3']);
      assert.equal(w.events[0].revision, third.modRevision);
    });

    it('closing a watcher stops delivery', async () => {
      const p = fresh();
      const w = collect(store, p, await store.currentRevision());
      await store.create(`${p}a`, '1');
      await w.waitFor(1);
      w.watcher.close();
      w.watcher.close();
      await store.create(`${p}b`, '2');
      await delay(100);
      assert.equal(w.events.length, 1);
    });

    it('aborting the signal stops a watch', async () => {
      const p = fresh();
      const ac = new AbortController();
      const events: WatchEvent[] = [];
      store.watch(p, { afterRevision: await store.currentRevision(), signal: ac.signal }, { onEvents: (e) => events.push(...e) });
      await store.create(`${p}a`, '1');
      const deadline = Date.now() + 5000;
      while (events.length < 1 && Date.now() < deadline) await delay(10);
      ac.abort();
      await store.create(`${p}b`, '2');
      await delay(100);
      assert.deepEqual(events.map((e) => e.kv.value), ['1']);
    });

    it('compaction keeps current values, forgets history, and fails old watches with CompactedError', async () => {
      const p = fresh();
      const a = await store.create(`${p}a`, 'a1');
      const a2 = await store.update(`${p}a`, 'a2', a.modRevision);
      const b = await store.create(`${p}b`, 'b1');
      await store.delete(`${p}b`, b.modRevision);
      const c = await store.create(`${p}c`, 'c1');
      const rev = await store.currentRevision();
      // a live watcher that is keeping up must survive compaction
      const live = collect(store, p, rev);

      await store.compact(c.modRevision);
      assert.ok((await store.compactedRevision()) >= c.modRevision);
      assert.deepEqual((await store.list(p)).items.map((i) => [i.value, i.modRevision]),
        [['a2', a2.modRevision], ['c1', c.modRevision]]);
      assert.equal((await store.get(`${p}a`))?.value, 'a2');
      await assert.rejects(store.get(`${p}a`, { revision: a.modRevision }), CompactedError);
      await assert.rejects(store.list(p, { revision: a.modRevision }), CompactedError);
      // the compaction revision itself is still readable
      assert.deepEqual((await store.list(p, { revision: c.modRevision })).items.map((i) => i.value), ['a2', 'c1']);

      const old = collect(store, p, a.modRevision);
      await old.waitError();
      assert.ok(old.error instanceof CompactedError, `expected CompactedError, got ${String(old.error)}`);
      assert.equal(old.events.length, 0);

      const upd = await store.update(`${p}a`, 'a3', a2.modRevision);
      await live.waitFor(1);
      live.watcher.close();
      assert.equal(live.error, undefined);
      assert.deepEqual(live.events[0].kv, upd);
      assert.equal(live.events[0].prevKv?.value, 'a2');
      // a deleted key can be created again after its tombstone was compacted
      assert.equal((await store.create(`${p}b`, 'b2')).value, 'b2');
    });

    it('currentRevision is monotonic and advances with every write', async () => {
      const p = fresh();
      let prev = await store.currentRevision();
      for (let i = 0; i < 5; i++) {
        const kv = await store.create(`${p}${i}`, 'x');
        const cur = await store.currentRevision();
        assert.ok(cur >= kv.modRevision);
        assert.ok(cur > prev);
        prev = cur;
      }
    });

    it('concurrent creates of the same key: exactly one wins', async () => {
      const p = fresh();
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.create(`${p}k`, String(i))));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 9);
      for (const l of lost) assert.ok(l.reason instanceof KeyExistsError, String(l.reason));
    });

    it('concurrent guarded updates from the same revision: exactly one wins', async () => {
      const p = fresh();
      const base = await store.create(`${p}k`, 'base');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.update(`${p}k`, String(i), base.modRevision)));
      const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<Store['update']>>> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      for (const l of lost) assert.ok(l.reason instanceof ConflictError, String(l.reason));
      assert.equal((await store.get(`${p}k`))?.value, won[0].value.value);
    });

    it('many concurrent writers get distinct increasing revisions and all are listed', async () => {
      const p = fresh();
      const kvs = await Promise.all(Array.from({ length: 200 }, (_, i) => store.create(`${p}${String(i).padStart(3, '0')}`, String(i))));
      const revs = new Set(kvs.map((k) => k.modRevision));
      assert.equal(revs.size, 200);
      const l = await store.list(p);
      assert.equal(l.items.length, 200);
      assert.equal(l.items[199].value, '199');
    });
  });
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSqliteStore } from './sqlite/sqlite-store.js';
import { createWatchCache, TooLargeRevisionError } from './watch-cache.js';
import { CompactedError } from './store.js';
import type { Store, WatchEvent, WatchHandlers } from './store.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A store wrapper that counts store watches and lets a test break them. */
function instrumented(inner: Store) {
  const active: WatchHandlers[] = [];
  let watchCalls = 0;
  let listCalls = 0;
  const store: Store = {
    ...inner,
    list: (p, o) => { listCalls++; return inner.list(p, o); },
    watch(prefix, o, h) {
      watchCalls++;
      active.push(h);
      const w = inner.watch(prefix, o, h);
      return { close: () => { active.splice(active.indexOf(h), 1); w.close(); } };
    },
  };
  return {
    store,
    get watchCalls() { return watchCalls; },
    get listCalls() { return listCalls; },
    breakWatches(err: Error) { for (const h of active.splice(0)) h.onError?.(err); },
  };
}

function recorder() {
  const events: WatchEvent[] = [];
  const bookmarks: number[] = [];
  let error: Error | undefined;
  return {
    events, bookmarks,
    get error() { return error; },
    handlers: {
      onEvents: (e: WatchEvent[]) => { events.push(...e); },
      onError: (e: Error) => { error = e; },
      onBookmark: (r: number) => { bookmarks.push(r); },
    },
  };
}

describe('watch cache', () => {
  it('serves lists from memory in key order, with sub-prefix, limit, startKey and remaining', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    for (const k of ['ns2/b', 'ns1/c', 'ns1/a', 'ns2/a']) await store.create(`/r/pods/${k}`, k);
    await store.create('/r/other/x', 'x');
    const wc = createWatchCache(store, '/r/pods/');
    await wc.ready;
    const all = await wc.list();
    assert.deepEqual(all.items.map((i) => i.value), ['ns1/a', 'ns1/c', 'ns2/a', 'ns2/b']);
    assert.equal(all.revision, await store.currentRevision());
    assert.deepEqual(all, await store.list('/r/pods/'));
    const ns1 = await wc.list({ prefix: '/r/pods/ns1/' });
    assert.deepEqual(ns1.items.map((i) => i.value), ['ns1/a', 'ns1/c']);
    const page = await wc.list({ limit: 3 });
    assert.equal(page.items.length, 3);
    assert.equal(page.more, true);
    assert.equal(page.remaining, 1);
    const rest = await wc.list({ startKey: '/r/pods/ns2/b' });
    assert.deepEqual(rest.items.map((i) => i.value), ['ns2/b']);
    assert.equal(rest.more, false);

    const del = await store.delete('/r/pods/ns1/a');
    const after = await wc.list({ revision: del.modRevision });
    assert.ok(after.revision >= del.modRevision);
    assert.deepEqual(after.items.map((i) => i.value), ['ns1/c', 'ns2/a', 'ns2/b']);
    assert.equal((await wc.get('/r/pods/ns2/a'))?.value, 'ns2/a');
    wc.close();
    await store.close();
  });

  it('waits for a newer revision (NotOlderThan) and does not hang when only other prefixes changed', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    const wc = createWatchCache(store, '/r/pods/', { waitTimeoutMs: 300, catchUpGraceMs: 50 });
    await wc.ready;
    const kv = await store.create('/r/pods/a', '1');
    const l = await wc.list({ revision: kv.modRevision });
    assert.deepEqual(l.items.map((i) => i.value), ['1']);

    const other = await store.create('/r/services/s', 'x');
    const t0 = Date.now();
    const l2 = await wc.list({ revision: other.modRevision });
    assert.ok(Date.now() - t0 < 250, 'served without waiting for the full timeout');
    assert.ok(l2.revision >= other.modRevision, `revision ${l2.revision} < ${other.modRevision}`);
    assert.deepEqual(l2.items.map((i) => i.value), ['1']);

    const future = (await store.currentRevision()) + 100;
    const err = await wc.list({ revision: future }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof TooLargeRevisionError, `expected TooLargeRevisionError, got ${String(err)}`);
    assert.equal(err.requested, future);
    wc.close();
    await store.close();
  });

  it('replays buffered events to a watch from an older revision, then continues live', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    const wc = createWatchCache(store, '/r/cm/');
    await wc.ready;
    const start = wc.currentRevision();
    let kv = await store.create('/r/cm/a', '0');
    for (let i = 1; i < 5; i++) kv = await store.update('/r/cm/a', String(i), kv.modRevision);
    await until(() => wc.currentRevision() === kv.modRevision, 'cache to catch up');
    const r = recorder();
    const w = wc.watch(start + 2, r.handlers);
    await until(() => r.events.length === 3, 'replay');
    await store.create('/r/cm/b', 'b');
    await until(() => r.events.length === 4, 'live event');
    await sleep(20);
    w.close();
    assert.deepEqual(r.events.map((e) => e.kv.value), ['2', '3', '4', 'b']);
    assert.equal(r.events[0].prevKv?.value, '1');
    wc.close();
    await store.close();
  });

  it('fails a watch older than the buffer with CompactedError', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    const wc = createWatchCache(store, '/r/cm/', { capacity: 3, windowMs: 0 });
    await wc.ready;
    const first = await store.create('/r/cm/a', '0');
    let kv = first;
    for (let i = 1; i < 10; i++) kv = await store.update('/r/cm/a', String(i), kv.modRevision);
    await until(() => wc.currentRevision() === kv.modRevision, 'cache to catch up');
    assert.ok(wc.oldestWatchableRevision() > first.modRevision);
    const old = recorder();
    wc.watch(first.modRevision, old.handlers);
    await until(() => old.error !== undefined, 'error');
    assert.ok(old.error instanceof CompactedError);
    assert.equal(old.events.length, 0);
    const ok = recorder();
    const w = wc.watch(wc.oldestWatchableRevision(), ok.handlers);
    await until(() => ok.events.length === 3, 'replay of the whole buffer');
    assert.equal(ok.error, undefined);
    w.close();
    wc.close();
    await store.close();
  });

  it('serves many watchers from one store watch, each filtered by its sub-prefix', async () => {
    const base = createSqliteStore({ path: ':memory:' });
    const inst = instrumented(base);
    const wc = createWatchCache(inst.store, '/r/pods/');
    await wc.ready;
    const rs = Array.from({ length: 50 }, () => recorder());
    const ws = rs.map((r, i) => wc.watch(wc.currentRevision(), r.handlers, { prefix: i % 2 ? '/r/pods/odd/' : '/r/pods/even/' }));
    await base.create('/r/pods/odd/p', '1');
    await base.create('/r/pods/even/p', '2');
    await base.create('/r/pods/odd/q', '3');
    await until(() => rs.every((r, i) => r.events.length === (i % 2 ? 2 : 1)), 'all watchers');
    assert.equal(inst.watchCalls, 1);
    assert.deepEqual(rs[1].events.map((e) => e.kv.value), ['1', '3']);
    assert.deepEqual(rs[0].events.map((e) => e.kv.value), ['2']);
    for (const w of ws) w.close();
    wc.close();
    await base.close();
  });

  it('watch from 0 sends the current objects first, then live events', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    await store.create('/r/x/b', 'b');
    await store.create('/r/x/a', 'a');
    const wc = createWatchCache(store, '/r/x/');
    const r = recorder();
    const w = wc.watch(0, r.handlers);
    await until(() => r.events.length === 2, 'initial state');
    await store.create('/r/x/c', 'c');
    await until(() => r.events.length === 3, 'live');
    w.close();
    assert.deepEqual(r.events.map((e) => [e.type, e.kv.value]), [['create', 'a'], ['create', 'b'], ['create', 'c']]);
    wc.close();
    await store.close();
  });

  it('sends bookmarks to idle watchers that asked for them', async () => {
    const store = createSqliteStore({ path: ':memory:' });
    const wc = createWatchCache(store, '/r/x/');
    await wc.ready;
    const kv = await store.create('/r/x/a', 'a');
    await until(() => wc.currentRevision() === kv.modRevision, 'cache');
    const r = recorder();
    const w = wc.watch(0, r.handlers, { bookmarkIntervalMs: 30 });
    const plain = recorder();
    const w2 = wc.watch(kv.modRevision, { onEvents: plain.handlers.onEvents });
    await until(() => r.bookmarks.length >= 2, 'bookmarks');
    w.close();
    w2.close();
    assert.equal(r.bookmarks[0], kv.modRevision);
    assert.equal(r.events.length, 1);
    wc.close();
    await store.close();
  });

  it('re-lists when the store watch is compacted, failing watchers so their clients re-list', async () => {
    const base = createSqliteStore({ path: ':memory:' });
    await base.create('/r/x/first', 'f');
    const inst = instrumented(base);
    const wc = createWatchCache(inst.store, '/r/x/', { retryDelayMs: 10 });
    await wc.ready;
    const before = wc.currentRevision();
    const r = recorder();
    wc.watch(before, r.handlers);
    await sleep(10);
    inst.breakWatches(new CompactedError(before, before + 5));
    // a write the cache never saw as an event
    const kv = await base.create('/r/x/missed', 'm');
    await until(() => r.error !== undefined, 'watcher failure');
    assert.ok(r.error instanceof CompactedError);
    await until(() => inst.listCalls === 2 && wc.currentRevision() >= kv.modRevision, 're-list');
    assert.deepEqual((await wc.list()).items.map((i) => i.value), ['f', 'm']);
    assert.equal(inst.watchCalls, 2);
    const late = recorder();
    wc.watch(before, late.handlers);
    await until(() => late.error !== undefined, 'old watch rejected');
    assert.ok(late.error instanceof CompactedError);
    wc.close();
    await base.close();
  });
});

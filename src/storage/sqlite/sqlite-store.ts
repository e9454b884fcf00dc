/**
 * SQLite backend, log-structured like kine: every write appends one row to `kine`, whose
 * AUTOINCREMENT id is the revision. A key's current value is its newest row; a delete appends a
 * tombstone row (deleted = 1) carrying the value that was deleted.
 *
 * Writes arriving in the same event-loop turn are committed together in one transaction (group
 * commit); each write's promise settles only after that transaction has committed. WAL with
 * synchronous=NORMAL keeps every acknowledged write across a crash of this process.
 *
 * This process is the only writer, so watches are fed in-process right after each commit; a
 * watch from an older revision first replays the log, synchronously with registration, so
 * replay and live delivery meet with no gap and no duplicate.
 */

import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import {
  CompactedError, ConflictError, KeyExistsError, NotFoundError, StoreError,
} from '../store.js';
import type {
  KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchHandlers, WatchOptions, Watcher,
} from '../store.js';
import { createWatchQueue, prefixEnd } from '../watch-queue.js';
import type { WatchQueue } from '../watch-queue.js';

export interface SqliteStoreOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** PRAGMA synchronous; NORMAL (default) survives a process crash, FULL also an OS crash. */
  synchronous?: 'NORMAL' | 'FULL';
}

/** Past the last possible key (keys are valid UTF-16 strings; U+10FFFF sorts last in UTF-8). */
const KEY_MAX = '\u{10FFFF}\u{10FFFF}';
const REPLAY_CHUNK = 1000;
const COMPACT_STEP = 1000;

interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
}

interface ReplayRow extends Row {
  p_id: number | null;
  p_created: number | null;
  p_deleted: number | null;
  p_create_revision: number | null;
  p_value: string | null;
}

type WriteOp =
  | { kind: 'create'; key: string; value: string }
  | { kind: 'update'; key: string; value: string; expected: number }
  | { kind: 'delete'; key: string; expected?: number };

interface PendingWrite {
  op: WriteOp;
  resolve(kv: KeyValue): void;
  reject(err: Error): void;
}

interface LiveWatcher {
  /** Only events after this revision (a watch may start past the current revision). */
  after: number;
  start: string;
  end: string;
  queue: WatchQueue;
}

/** The SQLite error code of a failed statement, if it is one. */
function sqliteCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

function rowToKv(r: Row): KeyValue {
  return {
    key: r.name,
    value: r.value,
    createRevision: r.created ? r.id : r.create_revision,
    modRevision: r.id,
  };
}

function futureRevision(rev: number, current: number): StoreError {
  return new StoreError(`required revision ${rev} is a future revision (current ${current})`);
}

export function createSqliteStore(opts: SqliteStoreOptions): Store {
  const db: SqliteDatabase = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS kine (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      name TEXT NOT NULL,
      created INTEGER NOT NULL,
      deleted INTEGER NOT NULL,
      create_revision INTEGER NOT NULL,
      prev_revision INTEGER NOT NULL,
      value TEXT NOT NULL,
      old_value TEXT
    );
    CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
    CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision ON kine (name, prev_revision);
    CREATE TABLE IF NOT EXISTS kine_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  `);

  const cols = 'id, name, created, deleted, create_revision, prev_revision, value';
  const stLatest: Statement<[string], Row> =
    db.prepare(`SELECT ${cols} FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1`);
  const stAt: Statement<[string, number], Row> =
    db.prepare(`SELECT ${cols} FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`);
  const stInsert: Statement<[string, number, number, number, number, string]> = db.prepare(
    'INSERT INTO kine (name, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?)');
  const latestPerKey =
    'SELECT MAX(id) AS mid FROM kine WHERE name >= @start AND name < @end AND id <= @rev GROUP BY name';
  // Walks the (name, id) index in key order, so neither a sort nor reading past `limit` is needed.
  const stList: Statement<{ start: string; end: string; rev: number; limit: number }, Row> = db.prepare(
    `SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.prev_revision, k.value
       FROM kine k INDEXED BY kine_name_id
      WHERE k.name >= @start AND k.name < @end AND k.deleted = 0
        AND k.id = (SELECT MAX(k2.id) FROM kine k2 WHERE k2.name = k.name AND k2.id <= @rev)
      ORDER BY k.name LIMIT @limit`);
  const stCount: Statement<{ start: string; end: string; rev: number }, { n: number }> = db.prepare(
    `SELECT COUNT(*) AS n FROM (${latestPerKey}) m JOIN kine k ON k.id = m.mid WHERE k.deleted = 0`);
  const stReplay: Statement<[number, number, string, string, number], ReplayRow> = db.prepare(
    `SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.prev_revision, k.value,
            p.id AS p_id, p.created AS p_created, p.deleted AS p_deleted,
            p.create_revision AS p_create_revision, p.value AS p_value
       FROM kine k LEFT JOIN kine p ON p.id = k.prev_revision
      WHERE k.id > ? AND k.id <= ? AND k.name >= ? AND k.name < ? ORDER BY k.id LIMIT ?`);
  // Rows superseded by a write in [from, to) are exactly those writes' previous rows; tombstones in
  // the range go too. Everything older was handled by the compactions before `from`.
  const stCompactSuperseded: Statement<{ from: number; to: number }> = db.prepare(
    `DELETE FROM kine WHERE id IN (SELECT prev_revision FROM kine WHERE id >= @from AND id < @to AND prev_revision > 0)`);
  const stCompactTombstones: Statement<{ from: number; to: number }> = db.prepare(
    'DELETE FROM kine WHERE id >= @from AND id < @to AND deleted = 1');
  const stSetMeta: Statement<[string, number]> =
    db.prepare('INSERT INTO kine_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value');

  const seqRow = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'kine'").get();
  const maxRow = db.prepare<[], { m: number | null }>('SELECT MAX(id) AS m FROM kine').get();
  let currentRev = Math.max(seqRow?.seq ?? 0, maxRow?.m ?? 0);
  const compactRow = db.prepare<[], { value: number }>("SELECT value FROM kine_meta WHERE name = 'compact_rev'").get();
  let compactRev = compactRow?.value ?? 0;

  const watchers = new Set<LiveWatcher>();
  let pending: PendingWrite[] = [];
  let flushScheduled = false;
  let closed = false;

  /** Applies one write inside the open transaction; returns the event, or throws a StoreError. */
  function apply(op: WriteOp): WatchEvent {
    const latest = stLatest.get(op.key);
    const live = latest && !latest.deleted ? latest : undefined;
    if (op.kind === 'create') {
      if (live) throw new KeyExistsError(op.key);
      const id = insert(op.key, 1, 0, 0, latest?.id ?? 0, op.value);
      const kv: KeyValue = { key: op.key, value: op.value, createRevision: id, modRevision: id };
      return { type: 'create', kv, revision: id };
    }
    if (!live) throw new NotFoundError(op.key);
    const prevKv = rowToKv(live);
    if (op.expected !== undefined && op.expected !== live.id) throw new ConflictError(op.key, prevKv);
    if (op.kind === 'update') {
      const id = insert(op.key, 0, 0, prevKv.createRevision, live.id, op.value);
      const kv: KeyValue = { key: op.key, value: op.value, createRevision: prevKv.createRevision, modRevision: id };
      return { type: 'update', kv, prevKv, revision: id };
    }
    const id = insert(op.key, 0, 1, prevKv.createRevision, live.id, live.value);
    const kv: KeyValue = { key: op.key, value: live.value, createRevision: prevKv.createRevision, modRevision: id };
    return { type: 'delete', kv, prevKv, revision: id };
  }

  function insert(key: string, created: number, deleted: number, createRev: number, prevRev: number, value: string): number {
    try {
      return Number(stInsert.run(key, created, deleted, createRev, prevRev, value).lastInsertRowid);
    } catch (err) {
      // Another writer on the same file appended from the same previous revision first.
      if (sqliteCode(err) === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw created ? new KeyExistsError(key) : new ConflictError(key);
      }
      throw err;
    }
  }

  const runBatch = db.transaction((batch: PendingWrite[]) => {
    const results: (WatchEvent | StoreError)[] = [];
    for (const w of batch) {
      try {
        results.push(apply(w.op));
      } catch (err) {
        if (err instanceof StoreError) results.push(err);
        else throw err;
      }
    }
    return results;
  });

  function flush(): void {
    flushScheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let results: (WatchEvent | StoreError)[];
    try {
      results = runBatch(batch);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      for (const w of batch) w.reject(e);
      return;
    }
    const events: WatchEvent[] = [];
    for (const r of results) if (!(r instanceof StoreError)) events.push(r);
    if (events.length > 0) {
      currentRev = Math.max(currentRev, events[events.length - 1].revision);
      dispatch(events);
    }
    for (let i = 0; i < batch.length; i++) {
      const r = results[i];
      if (r instanceof StoreError) batch[i].reject(r);
      else batch[i].resolve(r.kv);
    }
  }

  function dispatch(events: WatchEvent[]): void {
    for (const w of watchers) {
      let mine: WatchEvent[] | undefined;
      for (const e of events) {
        if (e.revision > w.after && e.kv.key >= w.start && e.kv.key < w.end) (mine ??= []).push(e);
      }
      if (mine) w.queue.push(mine);
    }
  }

  function enqueue(op: WriteOp): Promise<KeyValue> {
    if (closed) return Promise.reject(new StoreError('store is closed'));
    return new Promise<KeyValue>((resolve, reject) => {
      pending.push({ op, resolve, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  }

  function checkReadable(rev: number): void {
    if (rev < compactRev) throw new CompactedError(rev, compactRev);
    if (rev > currentRev) throw futureRevision(rev, currentRev);
  }

  function replayRowToEvent(r: ReplayRow): WatchEvent {
    const kv = rowToKv(r);
    if (r.created) return { type: 'create', kv, revision: r.id };
    const prevKv: KeyValue | undefined = r.p_id !== null && !r.p_deleted ? {
      key: r.name,
      value: r.p_value ?? '',
      createRevision: r.p_created ? r.p_id : (r.p_create_revision ?? 0),
      modRevision: r.p_id,
    } : undefined;
    const ev: WatchEvent = { type: r.deleted ? 'delete' : 'update', kv, revision: r.id };
    if (prevKv) ev.prevKv = prevKv;
    return ev;
  }

  const store: Store = {
    create(key, value) {
      return enqueue({ kind: 'create', key, value });
    },

    update(key, value, expectedModRevision) {
      return enqueue({ kind: 'update', key, value, expected: expectedModRevision });
    },

    delete(key, expectedModRevision) {
      return enqueue({ kind: 'delete', key, expected: expectedModRevision });
    },

    async get(key, o) {
      if (o?.revision) {
        checkReadable(o.revision);
        const r = stAt.get(key, o.revision);
        return r && !r.deleted ? rowToKv(r) : undefined;
      }
      const r = stLatest.get(key);
      return r && !r.deleted ? rowToKv(r) : undefined;
    },

    async list(prefix: string, o?: ListOptions): Promise<ListResult> {
      const rev = o?.revision || currentRev;
      if (o?.revision) checkReadable(o.revision);
      const end = prefixEnd(prefix) || KEY_MAX;
      const start = o?.startKey && o.startKey > prefix ? o.startKey : prefix;
      const limit = o?.limit && o.limit > 0 ? o.limit : 0;
      const rows = stList.all({ start, end, rev, limit: limit ? limit + 1 : -1 });
      const more = limit > 0 && rows.length > limit;
      if (more) rows.length = limit;
      const result: ListResult = { items: rows.map(rowToKv), revision: rev, more };
      if (more) {
        const after = rows[rows.length - 1].name + '\u0000';
        result.remaining = stCount.get({ start: after, end, rev })?.n ?? 0;
      }
      return result;
    },

    async count(prefix) {
      const end = prefixEnd(prefix) || KEY_MAX;
      const n = stCount.get({ start: prefix, end, rev: currentRev })?.n ?? 0;
      return { count: n, revision: currentRev };
    },

    watch(prefix: string, o: WatchOptions, handlers: WatchHandlers): Watcher {
      const w: LiveWatcher = {
        after: Math.max(0, o.afterRevision),
        start: prefix,
        end: prefixEnd(prefix) || KEY_MAX,
        queue: createWatchQueue(handlers, () => { watchers.delete(w); }),
      };
      const watcher: Watcher = { close: () => w.queue.close() };
      if (o.signal) {
        if (o.signal.aborted) { w.queue.close(); return watcher; }
        o.signal.addEventListener('abort', () => w.queue.close(), { once: true });
      }
      if (closed) {
        w.queue.fail(new StoreError('store is closed'));
        return watcher;
      }
      const after = w.after;
      if (after + 1 < compactRev) {
        w.queue.fail(new CompactedError(after, compactRev));
        return watcher;
      }
      // Replay committed history; nothing can commit in between (this is synchronous).
      let from = after;
      while (from < currentRev) {
        const rows = stReplay.all(from, currentRev, w.start, w.end, REPLAY_CHUNK);
        if (rows.length > 0) w.queue.push(rows.map(replayRowToEvent));
        if (rows.length < REPLAY_CHUNK) break;
        from = rows[rows.length - 1].id;
      }
      watchers.add(w);
      return watcher;
    },

    async compact(revision) {
      if (revision <= compactRev) return;
      if (revision > currentRev) throw futureRevision(revision, currentRev);
      // In steps, yielding between them, so a large compaction never stalls writers for long.
      while (compactRev < revision && !closed) {
        const from = compactRev;
        const to = Math.min(revision, from + COMPACT_STEP);
        db.transaction(() => {
          stCompactSuperseded.run({ from, to });
          stCompactTombstones.run({ from, to });
          stSetMeta.run('compact_rev', to);
        })();
        compactRev = to;
        if (to < revision) await new Promise<void>((r) => setImmediate(r));
      }
    },

    async currentRevision() {
      return currentRev;
    },

    async compactedRevision() {
      return compactRev;
    },

    async close() {
      if (closed) return;
      closed = true;
      flush();
      for (const w of [...watchers]) w.queue.close();
      db.close();
    },
  };
  return store;
}

export { startCompactor } from '../compactor.js';
export type { CompactorOptions } from '../compactor.js';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Payload } from './atomic-writer.js';
import { fileOf, timestampPrefix, validatePath, writeAtomic } from './atomic-writer.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'skiff-aw-'));
  try {
    await fn(path.join(dir, 'vol'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const payload = (entries: Record<string, string>, mode = 0o644): Payload => new Map(Object.entries(entries).map(([k, v]) => [k, fileOf(v, mode)]));

test('upstream layout: timestamped dir, ..data link, user-visible links', () => withDir(async (dir) => {
  const r = await writeAtomic(dir, new Map([['a', fileOf('A', 0o644)], ['sub/b', fileOf('B', 0o400)]]), new Date(Date.UTC(2026, 10, 24, 10, 0, 0)));
  assert.equal(r.changed, true);
  assert.match(r.version, /^\.\.2026_11_24_10_00_00\.\d+$/);
  assert.equal(await readlink(path.join(dir, '..data')), r.version);
  assert.equal(await readlink(path.join(dir, 'a')), '..data/a');
  assert.equal(await readlink(path.join(dir, 'sub')), '..data/sub');
  assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), 'A');
  assert.equal(await readFile(path.join(dir, 'sub/b'), 'utf8'), 'B');
  assert.equal((await stat(path.join(dir, 'sub/b'))).mode & 0o777, 0o400);
  assert.equal((await stat(path.join(dir, r.version))).mode & 0o777, 0o755);
  assert.deepEqual((await readdir(dir)).sort(), ['..data', r.version, 'a', 'sub'].sort());
}));

test('an update swaps ..data and removes stale entries and the old version', () => withDir(async (dir) => {
  const first = await writeAtomic(dir, payload({ a: '1', b: '2' }));
  const same = await writeAtomic(dir, payload({ a: '1', b: '2' }));
  assert.equal(same.changed, false);
  assert.equal(same.version, first.version);
  const second = await writeAtomic(dir, payload({ a: '3', c: '4' }));
  assert.equal(second.changed, true);
  assert.notEqual(second.version, first.version);
  assert.equal(await readlink(path.join(dir, '..data')), second.version);
  assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), '3');
  assert.equal(await readFile(path.join(dir, 'c'), 'utf8'), '4');
  await assert.rejects(lstat(path.join(dir, 'b')));
  await assert.rejects(lstat(path.join(dir, first.version)));
  assert.deepEqual((await readdir(dir)).sort(), ['..data', second.version, 'a', 'c'].sort());
  // A mode change alone is a change.
  assert.equal((await writeAtomic(dir, payload({ a: '3', c: '4' }, 0o600))).changed, true);
  assert.equal((await stat(path.join(dir, 'a'))).mode & 0o777, 0o600);
  // Emptied payload: only ..data and its (empty) version remain.
  const empty = await writeAtomic(dir, new Map());
  assert.deepEqual((await readdir(dir)).sort(), ['..data', empty.version].sort());
}));

test('a reader holding an old file keeps its content while readers of the link see the new one', () => withDir(async (dir) => {
  const v1 = await writeAtomic(dir, payload({ key: 'old' }));
  const resolved = path.join(dir, v1.version, 'key');
  const fh = await (await import('node:fs/promises')).open(resolved, 'r');
  await writeAtomic(dir, payload({ key: 'new' }));
  assert.equal(await readFile(path.join(dir, 'key'), 'utf8'), 'new');
  assert.equal((await fh.readFile('utf8')), 'old');
  await fh.close();
}));

test('invalid paths are refused', () => {
  for (const bad of ['/abs', '../x', 'a/../b', '..hidden', '']) assert.throws(() => validatePath(bad), /invalid path/);
  validatePath('a/b.c');
  validatePath('.x');
  assert.equal(timestampPrefix(new Date(Date.UTC(2026, 0, 2, 3, 4, 5))), '..2026_01_02_03_04_05.');
});

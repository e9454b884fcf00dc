import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './index.js';

describe('openStore', () => {
  it('defaults to SQLite at <dataDir>/state.db and keeps data across reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-open-'));
    try {
      for (const endpoint of [undefined, '', 'sqlite://']) {
        const s = await openStore(endpoint, dir);
        const key = `/k/${String(endpoint)}`;
        await s.create(key, 'v');
        await s.close();
        assert.ok(existsSync(join(dir, 'state.db')));
        const again = await openStore(undefined, dir);
        assert.equal((await again.get(key))?.value, 'v');
        await again.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens an explicit SQLite path', async () => {
    const s = await openStore('sqlite://:memory:', '/nonexistent');
    assert.equal((await s.create('/a', '1')).modRevision, 1);
    await s.close();
  });

  it('opens etcd for etcd:// endpoints without connecting eagerly, and rejects unknown schemes', async () => {
    const s = await openStore('etcd://127.0.0.1:1,127.0.0.1:2', '/nonexistent');
    await s.close();
    await assert.rejects(openStore('etcd://', '/x'), /no etcd hosts/);
    await assert.rejects(openStore('postgres://db', '/x'), /unsupported datastore endpoint/);
  });
});

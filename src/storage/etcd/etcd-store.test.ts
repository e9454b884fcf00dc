import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runStoreContract } from '../store.contract.js';
import { createEtcdStore } from './etcd-store.js';
import { startEtcd } from '../../../test/helpers/etcd.js';

runStoreContract('etcd', async () => {
  const etcd = await startEtcd();
  const store = createEtcdStore({ endpoints: [`http://${etcd.endpoint}`] });
  return {
    store,
    async cleanup() { await store.close(); await etcd.stop(); },
  };
});

describe('etcd store specifics', () => {
  it('two clients racing from the same revision: exactly one guarded update wins', async () => {
    const etcd = await startEtcd();
    const a = createEtcdStore({ endpoints: [`http://${etcd.endpoint}`] });
    const b = createEtcdStore({ endpoints: [`http://${etcd.endpoint}`] });
    try {
      const base = await a.create('/race/k', '0');
      const results = await Promise.allSettled([a.update('/race/k', 'a', base.modRevision), b.update('/race/k', 'b', base.modRevision)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      // revisions are etcd's: a second client sees the same current revision
      assert.equal(await a.currentRevision(), await b.currentRevision());
    } finally {
      await a.close();
      await b.close();
      await etcd.stop();
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeList, KubeObject } from '../apimachinery/object.js';
import type { ListOptions, RestClient, WatchEvent, WatchOptions } from './rest-client.js';
import { DeletedFinalStateUnknown, createInformer } from './informer.js';

const GVR = { group: '', version: 'v1', resource: 'configmaps' };

function cm(name: string, rv: string, ns = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, resourceVersion: rv, uid: `uid-${name}` } };
}

/** A client whose lists and watches follow a script; every other method is unused. */
function scriptedClient(lists: KubeList[], watches: WatchEvent[][]): { client: RestClient; listCalls: ListOptions[]; watchCalls: WatchOptions[] } {
  const listCalls: ListOptions[] = [];
  const watchCalls: WatchOptions[] = [];
  const unused = (): never => {
    throw new Error('not used');
  };
  const client: RestClient = {
    server: 'https://fake', request: unused, get: unused, create: unused, update: unused, updateStatus: unused,
    updateSubresource: unused, patch: unused, delete: unused, deleteCollection: unused, close() {},
    async list<T extends KubeObject>(_gvr: unknown, opts: ListOptions = {}) {
      listCalls.push(opts);
      const l = lists.shift();
      if (!l) throw new Error('no more lists');
      return l as KubeList<T>;
    },
    watch<T extends KubeObject>(_gvr: unknown, opts: WatchOptions = {}): AsyncIterableIterator<WatchEvent<T>> {
      watchCalls.push(opts);
      const events = watches.shift();
      return (async function* (): AsyncGenerator<WatchEvent<T>> {
        if (!events) {
          // Block until aborted.
          await new Promise<void>((resolve) => opts.signal?.addEventListener('abort', () => resolve(), { once: true }));
          return;
        }
        for (const e of events) yield e as WatchEvent<T>;
      })();
    },
  };
  return { client, listCalls, watchCalls };
}

function list(rv: string, items: KubeObject[]): KubeList {
  return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: rv }, items };
}

test('lists, watches from the list revision, relists after 410 with tombstones', async () => {
  const { client, listCalls, watchCalls } = scriptedClient(
    [list('10', [cm('a', '5'), cm('b', '6', 'other')]), list('30', [cm('a', '25'), cm('c', '26')])],
    [
      [
        { type: 'MODIFIED', object: cm('a', '11') },
        { type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } },
      ],
      [{ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 15 (20)' } }],
      [{ type: 'DELETED', object: cm('c', '31') }],
    ],
  );
  const inf = createInformer(client, GVR);
  const log: string[] = [];
  inf.addEventHandler({
    onAdd: (o, initial) => log.push(`add ${o.metadata.name} ${initial}`),
    onUpdate: (o, n) => log.push(`update ${o.metadata.name} ${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
    onDelete: (o) => log.push(o instanceof DeletedFinalStateUnknown ? `tombstone ${o.key}` : `delete ${o.metadata.name}`),
  });
  inf.run();
  assert.equal(await inf.waitForSync(), true);
  const deadline = Date.now() + 5000;
  while (watchCalls.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  inf.stop();

  assert.equal(listCalls[0]?.resourceVersion, '0', 'first list from the cache');
  assert.equal(listCalls[1]?.resourceVersion, undefined, 'relist after 410 is a consistent list');
  assert.equal(watchCalls[0]?.resourceVersion, '10');
  assert.equal(watchCalls[0]?.allowWatchBookmarks, true);
  assert.equal(watchCalls[1]?.resourceVersion, '15', 're-watch from the bookmark');
  assert.equal(watchCalls[2]?.resourceVersion, '30');
  assert.deepEqual(log, [
    'add a true', 'add b true',
    'update a 5->11',
    'update a 11->25', 'add c false', 'tombstone other/b',
    'delete c',
  ]);
  assert.deepEqual(inf.store.listKeys(), ['default/a']);
  assert.deepEqual(inf.store.byIndex('namespace', 'default').map((o) => o.metadata.name), ['a']);
  assert.deepEqual(inf.store.byIndex('namespace', 'other'), []);
});

test('custom indexers and late handlers get the current contents', async () => {
  const { client } = scriptedClient([list('3', [cm('x', '1'), cm('y', '2')])], []);
  const inf = createInformer(client, GVR, { indexers: { byName: (o) => [o.metadata.name ?? ''] } });
  inf.run();
  await inf.waitForSync();
  assert.deepEqual(inf.store.byIndex('byName', 'y').map((o) => o.metadata.uid), ['uid-y']);
  const seen: string[] = [];
  inf.addEventHandler({ onAdd: (o) => seen.push(o.metadata.name ?? '') });
  assert.deepEqual(seen.sort(), ['x', 'y']);
  inf.stop();
  assert.equal(inf.stopped(), true);
});

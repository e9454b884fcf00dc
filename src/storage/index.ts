/**
 * Storage entry point: picks a backend from the `--datastore-endpoint`-style URL. The API server
 * imports only this file and the contract, never a concrete driver.
 */

import { join } from 'node:path';
import type { Store } from './store.js';

export type { Store } from './store.js';
export { startCompactor } from './compactor.js';
export type { CompactorOptions } from './compactor.js';
export { createWatchCache } from './watch-cache.js';
export type { WatchCache } from './watch-cache.js';

/**
 * Opens the store named by `endpoint`:
 * - undefined, '' or `sqlite://` → SQLite file `<dataDir>/state.db`
 * - `sqlite://<path>` → SQLite file at `<path>` (`sqlite://:memory:` for a throw-away store)
 * - `etcd://h:p[,h:p]` → etcd at `http://h:p` for each host
 */
export async function openStore(endpoint: string | undefined, dataDir: string): Promise<Store> {
  // Drivers load on demand: the etcd client (gRPC, protobuf) costs start time and memory.
  if (!endpoint || endpoint.startsWith('sqlite://')) {
    const { createSqliteStore } = await import('./sqlite/sqlite-store.js');
    const path = !endpoint || endpoint === 'sqlite://' ? join(dataDir, 'state.db') : endpoint.slice('sqlite://'.length);
    return createSqliteStore({ path });
  }
  if (endpoint.startsWith('etcd://')) {
    const hosts = endpoint.slice('etcd://'.length).split(',').map((h) => h.trim()).filter((h) => h.length > 0);
    if (hosts.length === 0) throw new Error(`no etcd hosts in datastore endpoint "${endpoint}"`);
    const { createEtcdStore } = await import('./etcd/etcd-store.js');
    return createEtcdStore({ endpoints: hosts.map((h) => `http://${h.replace(/\/+$/, '')}`) });
  }
  throw new Error(`unsupported datastore endpoint "${endpoint}" (use sqlite://<path> or etcd://host:port[,host:port])`);
}

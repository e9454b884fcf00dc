/**
 * Storage entry point: picks a backend from the `--datastore-endpoint`-style URL. The API server
 * imports only this file and the contract, never a concrete driver.
 */

import { join } from 'node:path';
import type { Store } from './store.js';
import { createSqliteStore } from './sqlite/sqlite-store.js';
import { createEtcdStore } from './etcd/etcd-store.js';

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
export function openStore(endpoint: string | undefined, dataDir: string): Store {
  if (!endpoint || endpoint === 'sqlite://') return createSqliteStore({ path: join(dataDir, 'state.db') });
  if (endpoint.startsWith('sqlite://')) return createSqliteStore({ path: endpoint.slice('sqlite://'.length) });
  if (endpoint.startsWith('etcd://')) {
    const hosts = endpoint.slice('etcd://'.length).split(',').map((h) => h.trim()).filter((h) => h.length > 0);
    if (hosts.length === 0) throw new Error(`no etcd hosts in datastore endpoint "${endpoint}"`);
    return createEtcdStore({ endpoints: hosts.map((h) => `http://${h.replace(/\/+$/, '')}`) });
  }
  throw new Error(`unsupported datastore endpoint "${endpoint}" (use sqlite://<path> or etcd://host:port[,host:port])`);
}

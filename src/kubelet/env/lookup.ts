/**
 * The kubelet's view of ConfigMaps, Secrets and Services through the API (principle 1): GETs and
 * namespace LISTs with a short-lived cache, so the containers of one pod starting together (and
 * the volume resync) cost one request per object. Upstream keeps a watch-based cache per
 * referenced object; a TTL of about a second gives the same "visible within seconds" behaviour
 * without a watch per object.
 */
import type { ConfigMap, Secret, Service } from '../../apimachinery/generated/types.js';
import type { RestClient } from '../../client/rest-client.js';
import { isNotFound } from '../../client/index.js';
import type { ObjectLookup } from './environment.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const SERVICES = { group: '', version: 'v1', resource: 'services' };

interface Entry<T> {
  at: number;
  value: Promise<T>;
}

export interface ApiLookupOptions {
  /** How long an answer is reused (ms); default 1000. */
  ttlMs?: number;
  now?: () => number;
}

export function createApiLookup(client: RestClient, opts: ApiLookupOptions = {}): ObjectLookup & { invalidate(): void } {
  const ttl = opts.ttlMs ?? 1000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Entry<unknown>>();

  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    const t = now();
    if (hit && t - hit.at < ttl) return hit.value as Promise<T>;
    const value = load();
    cache.set(key, { at: t, value });
    value.catch(() => cache.delete(key));
    if (cache.size > 4096) for (const [k, e] of cache) if (t - e.at >= ttl) cache.delete(k);
    return value;
  }

  async function getOrUndefined<T>(gvr: typeof CONFIGMAPS, ns: string, name: string): Promise<T | undefined> {
    try {
      return (await client.get(gvr, name, { namespace: ns })) as unknown as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  return {
    configMap: (ns, name) => cached(`cm/${ns}/${name}`, () => getOrUndefined<ConfigMap>(CONFIGMAPS, ns, name)),
    secret: (ns, name) => cached(`secret/${ns}/${name}`, () => getOrUndefined<Secret>(SECRETS, ns, name)),
    services: (ns) => cached(`svc/${ns}`, async () => (await client.list(SERVICES, { namespace: ns })).items as unknown as Service[]),
    invalidate: () => cache.clear(),
  };
}

/**
 * The ServiceAccounts controller (kube-controller-manager's serviceaccount controller): every
 * active namespace has the `default` ServiceAccount; it is created when a namespace appears and
 * again when it is deleted. Terminating namespaces are left alone.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';

export const SERVICEACCOUNTS: GroupVersionResource = { group: '', version: 'v1', resource: 'serviceaccounts' };
const NAMESPACES: GroupVersionResource = { group: '', version: 'v1', resource: 'namespaces' };
export const DEFAULT_SERVICE_ACCOUNTS: readonly string[] = ['default'];

export interface ServiceAccountControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface ServiceAccountController {
  done: Promise<void>;
  sync(namespace: string): Promise<void>;
}

/** A namespace being deleted (deletionTimestamp set or phase Terminating) gets no new content. */
export function isNamespaceTerminating(ns: KubeObject): boolean {
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  return Boolean(ns.metadata.deletionTimestamp) || phase === 'Terminating';
}

export function startServiceAccountController(opts: ServiceAccountControllerOptions): ServiceAccountController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const nsInformer: Informer = factory.informerFor(NAMESPACES);
  const saInformer: Informer = factory.informerFor(SERVICEACCOUNTS);
  const queue = createWorkQueue<string>({ name: 'serviceaccount' });

  nsInformer.addEventHandler({
    onAdd: (ns) => queue.add(ns.metadata.name ?? ''),
    onUpdate: (_old, ns) => queue.add(ns.metadata.name ?? ''),
  });
  saInformer.addEventHandler({
    onDelete: (obj) => {
      const sa = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata.name ?? '') && sa.metadata.namespace) queue.add(sa.metadata.namespace);
    },
  });

  async function sync(namespace: string): Promise<void> {
    const ns = nsInformer.store.get(namespace);
    if (!ns || isNamespaceTerminating(ns)) return;
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (saInformer.store.get(`${namespace}/${name}`)) continue;
      try {
        await client.create(SERVICEACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }, { signal });
      } catch (err) {
        // AlreadyExists: the cache lags. NotFound / Forbidden while the namespace goes away: skip.
        if (isAlreadyExists(err) || isNotFound(err)) continue;
        if (/being terminated/.test(errorText(err))) continue;
        throw err;
      }
    }
  }

  const done = runController(queue, sync, {
    signal, caches: [nsInformer, saInformer], workers: opts.workers ?? 3,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ namespace: key, err: errorText(err) }, 'serviceaccount sync failed; requeued');
    },
  });

  return { done, sync };
}

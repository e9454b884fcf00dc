/**
 * The root CA certificate publisher (kube-controller-manager's `root-ca-cert-publisher`): every
 * active namespace holds the ConfigMap `kube-root-ca.crt` whose `ca.crt` is the cluster CA bundle
 * (what pods use to verify the API server; the automounted token volume projects it). The map is
 * created when a namespace appears, created again when deleted, and its data and description
 * annotation are put back when changed. Other keys, labels and annotations are left as they are.
 */
import type { ConfigMap } from '../../apimachinery/generated/types.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { deepCopy } from '../../apimachinery/object.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import { isNamespaceTerminating } from '../serviceaccount/service-account-controller.js';

export const CONFIGMAPS: GroupVersionResource = { group: '', version: 'v1', resource: 'configmaps' };
const NAMESPACES: GroupVersionResource = { group: '', version: 'v1', resource: 'namespaces' };
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. '
  + 'No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCaPublisherOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  /** The PEM bundle to publish. */
  rootCaPem: string;
  signal: AbortSignal;
  workers?: number;
  logger?: Logger;
}

export interface RootCaPublisher {
  done: Promise<void>;
  sync(namespace: string): Promise<void>;
}

function sameData(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const keys = Object.keys(a ?? {});
  return keys.length === Object.keys(b).length && keys.every((k) => a?.[k] === b[k]);
}

export function startRootCaPublisher(opts: RootCaPublisherOptions): RootCaPublisher {
  const { client, factory, signal, rootCaPem } = opts;
  const logger = opts.logger ?? silentLogger;
  const nsInformer: Informer = factory.informerFor(NAMESPACES);
  const cmInformer: Informer = factory.informerFor(CONFIGMAPS);
  const queue = createWorkQueue<string>({ name: 'root-ca-cert-publisher' });

  nsInformer.addEventHandler({
    onAdd: (ns) => queue.add(ns.metadata.name ?? ''),
    onUpdate: (_old, ns) => queue.add(ns.metadata.name ?? ''),
  });
  const onConfigMap = (cm: KubeObject): void => {
    if (cm.metadata.name === ROOT_CA_CONFIG_MAP && cm.metadata.namespace) queue.add(cm.metadata.namespace);
  };
  cmInformer.addEventHandler({
    onUpdate: (_old, cm) => onConfigMap(cm),
    onDelete: (obj) => onConfigMap(obj instanceof DeletedFinalStateUnknown ? obj.obj : obj),
  });

  async function sync(namespace: string): Promise<void> {
    const ns = nsInformer.store.get(namespace);
    if (!ns || isNamespaceTerminating(ns)) return;
    const data = { 'ca.crt': rootCaPem };
    const current = cmInformer.store.get(`${namespace}/${ROOT_CA_CONFIG_MAP}`) as ConfigMap | undefined;
    if (!current) {
      const cm: ConfigMap = {
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIG_MAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data,
      };
      try {
        await client.create(CONFIGMAPS, cm as KubeObject, { signal });
      } catch (err) {
        // AlreadyExists: the cache lags (the add event requeues). NotFound / terminating: skip.
        if (isAlreadyExists(err) || isNotFound(err) || /being terminated/.test(errorText(err))) return;
        throw err;
      }
      return;
    }
    if (sameData(current.data, data) && current.metadata?.annotations?.[DESCRIPTION_ANNOTATION]) return;
    const next = deepCopy(current as KubeObject) as ConfigMap;
    next.data = data;
    next.metadata = { ...next.metadata, annotations: { ...next.metadata?.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION } };
    try {
      await client.update(CONFIGMAPS, next as KubeObject, { signal });
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile: the delete event requeues
      throw err;
    }
  }

  const done = runController(queue, sync, {
    signal, caches: [nsInformer, cmInformer], workers: opts.workers ?? 3,
    onError: (key, err) => {
      if (!signal.aborted) logger.debug({ namespace: key, err: errorText(err) }, 'root-ca-cert-publisher sync failed; requeued');
    },
  });

  return { done, sync };
}

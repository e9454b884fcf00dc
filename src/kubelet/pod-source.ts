/**
 * Pods bound to nodes, from one informer: a single kubelet watches `spec.nodeName=<node>`; many
 * simulated kubelets share one watch of every bound pod (`spec.nodeName!=`) dispatched by node
 * name, so 5,000 nodes cost one watch, not 5,000. The informer's objects are shared: handlers
 * must not modify them.
 */
import type { Pod } from '../apimachinery/generated/types.js';
import type { KubeObject } from '../apimachinery/object.js';
import type { Informer, Logger, RestClient } from '../client/index.js';
import { DeletedFinalStateUnknown, createInformer } from '../client/index.js';
import { PODS_GVR } from './status-manager.js';

export interface PodHandlers {
  /** Added or changed. */
  onUpsert(pod: Pod): void;
  /** Gone from the API (last known state). */
  onDelete(pod: Pod): void;
}

export interface PodSource {
  subscribe(nodeName: string, handlers: PodHandlers): () => void;
  start(): void;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  stop(): void;
  /** Pods currently known for a node. */
  podsOn(nodeName: string): Pod[];
}

export const NODE_NAME_INDEX = 'nodeName';

function nodeNameOf(o: KubeObject): string {
  const spec = o.spec as { nodeName?: string } | undefined;
  return spec?.nodeName ?? '';
}

export function createPodSource(client: RestClient, opts: { nodeName?: string; logger?: Logger } = {}): PodSource {
  const informer: Informer = createInformer(client, PODS_GVR, {
    fieldSelector: opts.nodeName ? `spec.nodeName=${opts.nodeName}` : 'spec.nodeName!=',
    indexers: { [NODE_NAME_INDEX]: (o) => [nodeNameOf(o)] },
    logger: opts.logger,
  });
  const subscribers = new Map<string, PodHandlers>();
  informer.addEventHandler({
    onAdd(obj) {
      subscribers.get(nodeNameOf(obj))?.onUpsert(obj as unknown as Pod);
    },
    onUpdate(_old, obj) {
      subscribers.get(nodeNameOf(obj))?.onUpsert(obj as unknown as Pod);
    },
    onDelete(obj) {
      const o = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      subscribers.get(nodeNameOf(o))?.onDelete(o as unknown as Pod);
    },
  });
  return {
    subscribe(nodeName, handlers) {
      subscribers.set(nodeName, handlers);
      // Pods already in the cache (dispatch is synchronous, so none is missed or lost).
      for (const o of informer.store.byIndex(NODE_NAME_INDEX, nodeName)) handlers.onUpsert(o as unknown as Pod);
      return () => {
        if (subscribers.get(nodeName) === handlers) subscribers.delete(nodeName);
      };
    },
    start: () => informer.run(),
    waitForSync: (signal) => informer.waitForSync(signal),
    stop: () => informer.stop(),
    podsOn: (nodeName) => informer.store.byIndex(NODE_NAME_INDEX, nodeName) as unknown as Pod[],
  };
}

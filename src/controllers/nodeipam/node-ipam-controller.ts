/**
 * The node IPAM controller (kube-controller-manager's `nodeipam` with the RangeAllocator): every
 * node without `spec.podCIDR` gets the next free /24 (`--node-cidr-mask-size`) of
 * `--cluster-cidr` as `spec.podCIDR` and `spec.podCIDRs`. Subnets of existing nodes are marked
 * used before anything is handed out; a deleted node's subnet is freed. When the range is
 * exhausted the node gets a `CIDRNotAvailable` event and is retried with back-off.
 *
 * Nodes whose podCIDR lies outside the cluster CIDR (simulated nodes use their own range) are
 * left alone and reserve nothing.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import type { Node } from '../../apimachinery/generated/types.js';
import type { GroupVersionResource, RestClient } from '../../client/rest-client.js';
import { isNotFound } from '../../client/rest-client.js';
import type { Informer, SharedInformerFactory } from '../../client/informer.js';
import { DeletedFinalStateUnknown } from '../../client/informer.js';
import { createWorkQueue, runController } from '../../client/work-queue.js';
import type { Logger } from '../../client/logger.js';
import { errorText, silentLogger } from '../../client/logger.js';
import { createEventRecorder } from '../replicaset/controller-utils.js';
import { createCidrSet } from './cidr-set.js';

const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
const COMPONENT = 'cidrAllocator';

type NodeObj = Node & KubeObject;

export interface NodeIpamControllerOptions {
  client: RestClient;
  factory: SharedInformerFactory;
  signal: AbortSignal;
  clusterCidr?: string;
  nodeCidrMaskSize?: number;
  logger?: Logger;
}

export interface NodeIpamController {
  done: Promise<void>;
}

export class CidrNotAvailableError extends Error {}

function podCidrsOf(node: NodeObj): string[] {
  const list = node.spec?.podCIDRs ?? [];
  if (list.length) return [...list];
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

export function startNodeIpamController(opts: NodeIpamControllerOptions): NodeIpamController {
  const { client, factory, signal } = opts;
  const logger = opts.logger ?? silentLogger;
  const cidrs = createCidrSet(opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR, opts.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE);
  const informer: Informer<NodeObj> = factory.informerFor<NodeObj>(NODES);
  const recorder = createEventRecorder(client, COMPONENT, logger);
  const queue = createWorkQueue<string>({ name: 'nodeipam' });
  /** Node name → the subnet this controller counts as that node's. */
  const owned = new Map<string, string>();
  let primed = false;

  function occupyFor(name: string, node: NodeObj): void {
    for (const c of podCidrsOf(node)) {
      if (cidrs.occupy(c)) owned.set(name, c);
    }
  }

  function releaseFor(name: string): void {
    const c = owned.get(name);
    if (c === undefined) return;
    owned.delete(name);
    cidrs.release(c);
    logger.info({ node: name, podCIDR: c }, 'released pod CIDR of deleted node');
  }

  informer.addEventHandler({
    onAdd: (node) => queue.add(node.metadata.name ?? ''),
    onUpdate: (_old, node) => {
      if (podCidrsOf(node).length === 0) queue.add(node.metadata.name ?? '');
    },
    onDelete: (obj) => {
      const node = obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
      const name = node.metadata.name ?? '';
      if (primed) releaseFor(name);
      else queue.add(name);
    },
  });

  async function sync(name: string): Promise<void> {
    if (!primed) {
      // Every subnet already handed out is taken before the first new one is given.
      for (const n of informer.store.list()) occupyFor(n.metadata.name ?? '', n);
      primed = true;
    }
    const node = informer.store.get(name);
    if (!node) {
      releaseFor(name);
      return;
    }
    if (node.metadata.deletionTimestamp) return;
    if (podCidrsOf(node).length) {
      occupyFor(name, node);
      return;
    }
    const cidr = cidrs.allocateNext();
    if (cidr === undefined) {
      recorder.event(node, 'v1', 'Node', 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      throw new CidrNotAvailableError(`no remaining pod CIDRs in ${cidrs.clusterCidr} for node ${name}`);
    }
    try {
      await client.patch(NODES, name, {
        type: 'merge', signal,
        patch: { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { podCIDR: cidr, podCIDRs: [cidr] } },
      });
      owned.set(name, cidr);
      logger.info({ node: name, podCIDR: cidr }, 'allocated pod CIDR');
    } catch (err) {
      cidrs.release(cidr);
      if (isNotFound(err)) return;
      throw err;
    }
  }

  const done = runController(queue, sync, {
    signal, caches: [informer], workers: 1,
    onError: (key, err) => {
      if (!signal.aborted) logger.info({ node: key, err: errorText(err) }, 'pod CIDR allocation failed; requeued');
    },
  });
  return { done };
}

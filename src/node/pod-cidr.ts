/**
 * The node's pod CIDR as the node IPAM controller assigns it (upstream kubelets read
 * `spec.podCIDR` the same way). When the Node does not exist yet it is created bare, so the
 * controller can give it a subnet before the kubelet registers it in full (tainted not-ready
 * meanwhile, so the scheduler leaves it alone); the kubelet's registration then finds it and
 * fills in labels and status.
 */
import type { RestClient, GroupVersionResource } from '../client/rest-client.js';
import { isAlreadyExists, isNotFound } from '../client/rest-client.js';
import type { Logger } from '../client/index.js';
import { errorText, silentLogger } from '../client/logger.js';

const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
export const DEFAULT_POD_CIDR_TIMEOUT_MS = 120_000;

interface NodeSpecView {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

function podCidrOf(node: NodeSpecView): string | undefined {
  return node.spec?.podCIDRs?.[0] ?? (node.spec?.podCIDR || undefined);
}

export async function awaitPodCidr(client: RestClient, nodeName: string,
  opts: { timeoutMs?: number; pollMs?: number; logger?: Logger } = {}): Promise<string> {
  const logger = opts.logger ?? silentLogger;
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_POD_CIDR_TIMEOUT_MS);
  let told = false;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const node = await client.get(NODES, nodeName) as unknown as NodeSpecView;
      const cidr = podCidrOf(node);
      if (cidr) return cidr;
    } catch (err) {
      if (!isNotFound(err)) {
        lastError = errorText(err);
      } else {
        try {
          await client.create(NODES, {
            apiVersion: 'v1', kind: 'Node',
            metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux' } },
            // As a kubelet registers: nothing lands here until the node reports Ready (the node
            // lifecycle controller lifts the taint then), not even while it has no capacity yet.
            spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] },
          });
        } catch (createErr) {
          if (!isAlreadyExists(createErr)) lastError = errorText(createErr);
        }
      }
    }
    if (!told) {
      logger.info({ node: nodeName }, 'waiting for the node IPAM controller to assign a pod CIDR');
      told = true;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
  throw new Error(`node ${nodeName} got no pod CIDR within ${Math.round((opts.timeoutMs ?? DEFAULT_POD_CIDR_TIMEOUT_MS) / 1000)} s `
    + `(is the nodeipam controller running on the server?)${lastError ? `; last error: ${lastError}` : ''}`);
}

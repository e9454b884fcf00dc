/**
 * `skiff server --simulated-nodes N`: N simulated kubelets in the server process, as an API
 * client built from the admin kubeconfig (the API is the only door, even in-process).
 */
import { clientFromKubeconfig } from '../client/rest-client.js';
import type { Logger } from '../client/logger.js';
import { errorText } from '../client/logger.js';
import { parseSimulatedCapacity, startSimulatedNodes } from './simulated-nodes.js';

export function runSimulatedNodesComponent(opts: {
  kubeconfigPath: string;
  count: number;
  /** `cpu=32,memory=256Gi,pods=110` */
  capacity?: string;
  signal: AbortSignal;
  logger?: Logger;
}): { done: Promise<void> } {
  const client = clientFromKubeconfig(opts.kubeconfigPath, { userAgent: 'skiff-kubelet-simulated' });
  const nodes = startSimulatedNodes({
    client, count: opts.count, capacity: parseSimulatedCapacity(opts.capacity ?? ''), signal: opts.signal, logger: opts.logger,
  });
  const done = (async (): Promise<void> => {
    try {
      await nodes.ready.then(
        () => opts.logger?.info({ count: opts.count }, 'simulated nodes registered'),
        (err: unknown) => opts.logger?.error({ err: errorText(err) }, 'simulated nodes failed to register'),
      );
      if (!opts.signal.aborted) await new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
      await nodes.stop();
    } finally {
      client.close();
    }
  })();
  return { done };
}

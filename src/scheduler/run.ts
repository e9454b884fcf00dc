/**
 * Runs the scheduler as its own component: a client of the API (from a kubeconfig), holding the
 * `kube-scheduler` Lease so that only one scheduler schedules at a time.
 */
import { clientFromKubeconfig } from '../client/rest-client.js';
import { runLeaderElection } from '../client/leader-election.js';
import type { Logger } from '../client/logger.js';
import { startScheduler } from './scheduler.js';

export const SCHEDULER_LEASE = 'kube-scheduler';

export function runSchedulerComponent(opts: { kubeconfigPath: string; signal: AbortSignal; logger?: Logger }): { done: Promise<void> } {
  const client = clientFromKubeconfig(opts.kubeconfigPath, { userAgent: 'skiff-scheduler' });
  const done = (async (): Promise<void> => {
    try {
      while (!opts.signal.aborted) {
        let finished: Promise<void> = Promise.resolve();
        await runLeaderElection({
          client, name: SCHEDULER_LEASE, namespace: 'kube-system', releaseOnCancel: true, signal: opts.signal, logger: opts.logger,
          onStartedLeading(leadSignal) {
            finished = startScheduler({ client, signal: leadSignal, logger: opts.logger }).done;
          },
        });
        await finished;
      }
    } finally {
      client.close();
    }
  })();
  return { done };
}

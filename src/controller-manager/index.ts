/**
 * The controller manager: wins the `kube-controller-manager` Lease in kube-system, then runs the
 * controllers over one shared informer factory until leadership is lost (then campaigns again)
 * or the signal aborts. Everything goes through the API over HTTPS, as from another machine.
 */
import type { RestClient } from '../client/rest-client.js';
import { clientFromKubeconfig, configFromKubeconfig } from '../client/rest-client.js';
import { createSharedInformerFactory } from '../client/informer.js';
import { runLeaderElection } from '../client/leader-election.js';
import type { Logger } from '../client/logger.js';
import { errorText, silentLogger } from '../client/logger.js';
import { startGarbageCollector } from '../controllers/garbage-collector/garbage-collector.js';
import { NAMESPACES, startNamespaceController } from '../controllers/namespace/namespace-controller.js';
import { startReplicaSetController } from '../controllers/replicaset/replica-set-controller.js';
import { startDeploymentController } from '../controllers/deployment/deployment-controller.js';
import { startServiceAccountController } from '../controllers/serviceaccount/service-account-controller.js';
import { startEndpointsController } from '../controllers/endpoints/endpoints-controller.js';
import { startEndpointSliceController } from '../controllers/endpointslice/endpoint-slice-controller.js';
import { startPersistentVolumeController } from '../controllers/persistentvolume/pv-controller.js';
import { startJobController } from '../controllers/job/job-controller.js';
import { startCronJobController } from '../controllers/cronjob/cronjob-controller.js';
import { startResourceQuotaController } from '../controllers/resourcequota/resource-quota-controller.js';
import { startNodeLifecycleController } from '../controllers/node-lifecycle/node-lifecycle-controller.js';
import { startStatefulSetController } from '../controllers/statefulset/stateful-set-controller.js';
import { startDaemonSetController } from '../controllers/daemonset/daemon-set-controller.js';
import { startDisruptionController } from '../controllers/disruption/disruption-controller.js';
import { startNodeIpamController } from '../controllers/nodeipam/node-ipam-controller.js';
import { startRootCaPublisher } from '../controllers/root-ca-publisher/root-ca-publisher.js';

export const CONTROLLER_MANAGER_LEASE = 'kube-controller-manager';

export type ControllerName = 'garbage-collector' | 'namespace' | 'resourcequota' | 'node-lifecycle'
  | 'replicaset' | 'replicationcontroller' | 'deployment' | 'serviceaccount' | 'endpoints' | 'endpointslice' | 'persistentvolume-binder'
  | 'job' | 'cronjob' | 'statefulset' | 'daemonset' | 'disruption' | 'nodeipam' | 'root-ca-cert-publisher';
export const ALL_CONTROLLERS: readonly ControllerName[] = ['garbage-collector', 'namespace', 'resourcequota', 'node-lifecycle',
  'replicaset', 'replicationcontroller', 'deployment', 'serviceaccount', 'endpoints', 'endpointslice', 'persistentvolume-binder',
  'job', 'cronjob', 'statefulset', 'daemonset', 'disruption', 'nodeipam', 'root-ca-cert-publisher'];

export interface ControllerManagerOptions {
  /** Either a kubeconfig to read or a ready client. */
  kubeconfigPath?: string;
  client?: RestClient;
  signal: AbortSignal;
  logger?: Logger;
  /** Default true; false runs the controllers at once (e.g. a test with one manager). */
  leaderElect?: boolean;
  identity?: string;
  controllers?: readonly ControllerName[];
  /** Node lifecycle: heartbeat grace before a node is Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Node IPAM: pod addresses (`--cluster-cidr`, default 10.42.0.0/16), a /`nodeCidrMaskSize` (24) per node. */
  clusterCidr?: string;
  nodeCidrMaskSize?: number;
  /** Root CA publisher: the bundle put in every namespace's `kube-root-ca.crt` (`--root-ca-file`);
   * default the certificate authority of the kubeconfig, as upstream. Without one it does not run. */
  rootCaPem?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ControllerManager {
  /** Resolves after the manager stopped (signal aborted). */
  done: Promise<void>;
  /** True while this manager leads and its controllers run. */
  leading(): boolean;
}

/** Runs the controllers until `signal` aborts. */
async function runControllers(client: RestClient, names: readonly ControllerName[], signal: AbortSignal, logger: Logger,
  settings: Pick<ControllerManagerOptions, 'nodeMonitorGracePeriodMs' | 'clusterCidr' | 'nodeCidrMaskSize' | 'rootCaPem'> = {}): Promise<void> {
  const factory = createSharedInformerFactory(client, { logger });
  const running: Promise<void>[] = [];
  if (names.includes('garbage-collector')) {
    running.push(startGarbageCollector({ client, signal, logger }).done);
  }
  if (names.includes('namespace')) {
    const informer = factory.informerFor(NAMESPACES);
    running.push(startNamespaceController({ client, informer, signal, logger }).done);
  }
  if (names.includes('replicaset')) {
    running.push(startReplicaSetController({ client, factory, kind: 'ReplicaSet', signal, logger }).done);
  }
  if (names.includes('replicationcontroller')) {
    running.push(startReplicaSetController({ client, factory, kind: 'ReplicationController', signal, logger }).done);
  }
  if (names.includes('deployment')) {
    running.push(startDeploymentController({ client, factory, signal, logger }).done);
  }
  if (names.includes('serviceaccount')) {
    running.push(startServiceAccountController({ client, factory, signal, logger }).done);
  }
  if (names.includes('endpoints')) {
    running.push(startEndpointsController({ client, factory, signal, logger }).done);
  }
  if (names.includes('endpointslice')) {
    running.push(startEndpointSliceController({ client, factory, signal, logger }).done);
  }
  if (names.includes('persistentvolume-binder')) {
    running.push(startPersistentVolumeController({ client, factory, signal, logger }).done);
  }
  if (names.includes('job')) {
    running.push(startJobController({ client, factory, signal, logger }).done);
  }
  if (names.includes('cronjob')) {
    running.push(startCronJobController({ client, factory, signal, logger }).done);
  }
  if (names.includes('statefulset')) {
    running.push(startStatefulSetController({ client, factory, signal, logger }).done);
  }
  if (names.includes('daemonset')) {
    running.push(startDaemonSetController({ client, factory, signal, logger }).done);
  }
  if (names.includes('resourcequota')) {
    running.push(startResourceQuotaController({ client, factory, signal, logger }).done);
  }
  if (names.includes('node-lifecycle')) {
    running.push(startNodeLifecycleController({ client, factory, signal, logger, gracePeriodMs: settings.nodeMonitorGracePeriodMs }).done);
  }
  if (names.includes('disruption')) {
    running.push(startDisruptionController({ client, factory, signal, logger }).done);
  }
  if (names.includes('nodeipam')) {
    running.push(startNodeIpamController({
      client, factory, signal, logger, clusterCidr: settings.clusterCidr, nodeCidrMaskSize: settings.nodeCidrMaskSize,
    }).done);
  }
  if (names.includes('root-ca-cert-publisher')) {
    if (settings.rootCaPem) running.push(startRootCaPublisher({ client, factory, rootCaPem: settings.rootCaPem, signal, logger }).done);
    else logger.info({}, 'root-ca-cert-publisher: no root CA known; not started');
  }
  factory.start();
  signal.addEventListener('abort', () => factory.stop(), { once: true });
  logger.info({ controllers: names }, 'controllers started');
  await Promise.all(running);
}

export function startControllerManager(opts: ControllerManagerOptions): ControllerManager {
  const logger = opts.logger ?? silentLogger;
  let client = opts.client;
  const ownClient = !client;
  if (!client) {
    if (!opts.kubeconfigPath) throw new Error('startControllerManager needs a kubeconfigPath or a client');
    client = clientFromKubeconfig(opts.kubeconfigPath, { userAgent: 'skiff-controller-manager' });
  }
  const api = client;
  const settings = { ...opts, rootCaPem: opts.rootCaPem ?? (opts.kubeconfigPath ? configFromKubeconfig(opts.kubeconfigPath).caPem : undefined) };
  const names = opts.controllers ?? ALL_CONTROLLERS;
  let isLeading = false;

  const done = (async (): Promise<void> => {
    try {
      if (opts.leaderElect === false) {
        isLeading = true;
        await runControllers(api, names, opts.signal, logger, settings);
        return;
      }
      while (!opts.signal.aborted) {
        let finished: Promise<void> = Promise.resolve();
        await runLeaderElection({
          client: api, name: CONTROLLER_MANAGER_LEASE, namespace: 'kube-system', identity: opts.identity,
          leaseDurationMs: opts.leaseDurationMs, renewDeadlineMs: opts.renewDeadlineMs, retryPeriodMs: opts.retryPeriodMs,
          releaseOnCancel: true, signal: opts.signal, logger,
          onStartedLeading(leadSignal) {
            isLeading = true;
            finished = runControllers(api, names, leadSignal, logger, settings).catch((err: unknown) => {
              logger.error({ err: errorText(err) }, 'controllers failed');
            });
          },
          onStoppedLeading() {
            isLeading = false;
          },
        });
        await finished;
        if (!opts.signal.aborted) logger.error({}, 'controller manager lost leadership; campaigning again');
      }
    } finally {
      isLeading = false;
      if (ownClient) api.close();
    }
  })();

  return { done, leading: () => isLeading };
}

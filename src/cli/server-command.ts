/** `skiff server`: starts storage, the API server and (later) the control plane and agent. */
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore, startCompactor } from '../storage/index.js';
import { ensurePki } from '../apiserver/auth/pki.js';
import { createAuthenticator } from '../apiserver/auth/authenticator.js';
import { createServiceAccountTokenAuthenticator, createTokenIssuer, loadOrCreateServiceAccountKeys } from '../apiserver/auth/service-account-token.js';
import { createApiServer } from '../apiserver/server.js';
import { bootstrapCluster } from '../apiserver/bootstrap.js';
import { firstServiceIp } from '../apiserver/allocators/ip-range.js';
import { startControllerManager } from '../controller-manager/index.js';
import { writeKubeconfig } from './kubeconfig.js';
import { log } from './log.js';
import { runSchedulerComponent } from '../scheduler/run.js';
import { selectControllers } from '../controller-manager/select.js';
import { runSimulatedNodesComponent } from '../kubelet/run.js';

export interface ServerFlags {
  dataDir: string;
  httpsPort: number;
  bindAddress: string;
  datastoreEndpoint?: string;
  writeKubeconfig?: string;
  disableAgent: boolean;
  serviceCidr: string;
  serviceNodePortRange: string;
  tokenAuthFile?: string;
  verbosity: number;
  /** Simulated nodes (real kubelet, simulated runtime) run in this process. */
  simulatedNodes?: number;
  simulatedNodeCapacity?: string;
  /** kube-controller-manager style `--controllers` list (default `*`). */
  controllers?: string;
  disableScheduler?: boolean;
  /** Node lifecycle controller: heartbeat grace before a node is Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
}

function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') out.push(a.address);
  }
  return out;
}

export async function runServer(flags: ServerFlags): Promise<void> {
  const started = performance.now();
  log.level = flags.verbosity >= 4 ? 4 : flags.verbosity >= 1 ? 2 : 1;
  mkdirSync(flags.dataDir, { recursive: true, mode: 0o700 });
  const serviceIp = firstServiceIp(flags.serviceCidr);
  const pki = await ensurePki({ dir: flags.dataDir, hostnames: [hostname()], ips: [serviceIp] });
  const store = await openStore(flags.datastoreEndpoint, flags.dataDir);
  const compactor = startCompactor(store);
  const saKeys = loadOrCreateServiceAccountKeys(flags.dataDir);
  const authenticator = createAuthenticator({
    tokenAuthFile: flags.tokenAuthFile, caCertPem: pki.caCertPem,
    tokenAuthenticators: [createServiceAccountTokenAuthenticator(saKeys)],
  });
  const api = createApiServer({
    store, authenticator,
    tls: { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem },
    serviceCidr: flags.serviceCidr, nodePortRange: flags.serviceNodePortRange,
    tokens: createTokenIssuer(saKeys),
  });
  const port = await api.listen(flags.httpsPort, flags.bindAddress);
  await api.ready;
  const advertise = flags.bindAddress !== '0.0.0.0' && flags.bindAddress !== '::' ? flags.bindAddress : (hostAddresses()[0] ?? '127.0.0.1');
  await bootstrapCluster(api, { serviceCidr: flags.serviceCidr, advertiseAddress: advertise, port });
  const kubeconfigPath = flags.writeKubeconfig ?? join(flags.dataDir, 'kubeconfig.yaml');
  const host = flags.bindAddress === '0.0.0.0' || flags.bindAddress === '::' ? '127.0.0.1' : flags.bindAddress;
  writeKubeconfig(kubeconfigPath, {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, caCertPem: pki.caCertPem,
    clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem, clusterName: 'default',
  });
  const controllers = new AbortController();
  setMaxListeners(0, controllers.signal);
  const controllerManager = startControllerManager({
    kubeconfigPath, signal: controllers.signal, logger: log, nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriodMs,
    controllers: selectControllers(flags.controllers ?? '*'),
  });
  const scheduler = flags.disableScheduler ? { done: Promise.resolve() } : runSchedulerComponent({ kubeconfigPath, signal: controllers.signal, logger: log });
  const simulated = flags.simulatedNodes
    ? runSimulatedNodesComponent({ kubeconfigPath, count: flags.simulatedNodes, capacity: flags.simulatedNodeCapacity, signal: controllers.signal, logger: log })
    : undefined;
  api.markReady();
  log.info({ port, dataDir: flags.dataDir, kubeconfig: kubeconfigPath, startupMs: Math.round(performance.now() - started) }, 'skiff server ready');
  process.stderr.write(`skiff server listening on https://${flags.bindAddress}:${port}; kubeconfig ${kubeconfigPath}\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    compactor.stop();
    controllers.abort();
    await Promise.race([Promise.all([controllerManager.done, scheduler.done, simulated?.done]), new Promise((r) => setTimeout(r, 2000))]);
    await api.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

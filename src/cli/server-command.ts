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
import { setKubeletClientCredentials } from '../apiserver/handlers/kubelet-endpoint.js';
import type { Agent } from '../node/agent.js';
import { CONTAINERD_REQUIREMENTS, checkRequirements, cniRequirements } from '../node/containerd/prerequisites.js';
import { DEFAULT_BRIDGE, DEFAULT_CNI_BIN_DIR, nodePodCidr } from '../node/containerd/config.js';
import { ensureNodeToken } from '../apiserver/auth/node-token.js';
import { createNodeJoinRoutes } from '../apiserver/node-join.js';

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
  /** Embedded agent: node name (default the host name), pod CIDR (/16), CRI endpoint, pod bridge, kubelet port. */
  nodeName?: string;
  clusterCidr?: string;
  containerRuntimeEndpoint?: string;
  cniBridge?: string;
  kubeletPort?: number;
  /** Embedded agent: static pod manifests directory (default `<data-dir>/pod-manifests`) and URL. */
  podManifestPath?: string;
  manifestUrl?: string;
}

/** The 10th address of the service CIDR (`10.43.0.10`), as k3s's cluster DNS. */
function clusterDnsIp(serviceCidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\//.exec(serviceCidr);
  if (!m) return '10.43.0.10';
  const n = ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]) + 10;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
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
  if (!flags.disableAgent && !flags.containerRuntimeEndpoint) {
    // Fail before anything starts: a real node needs root and containerd, runc and the CNI plugins.
    if (process.getuid?.() !== 0) throw new Error('the embedded agent needs root (containerd, runc and the CNI bridge); run as root or pass --disable-agent');
    checkRequirements([...CONTAINERD_REQUIREMENTS, ...cniRequirements(DEFAULT_CNI_BIN_DIR)]);
  }
  const serviceIp = firstServiceIp(flags.serviceCidr);
  const pki = await ensurePki({ dir: flags.dataDir, hostnames: [hostname()], ips: [serviceIp] });
  const nodeToken = ensureNodeToken(flags.dataDir, pki.caCertPem);
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
    openRoutes: [createNodeJoinRoutes({ pki, token: nodeToken, clusterDns: clusterDnsIp(flags.serviceCidr), clusterDomain: 'cluster.local' })],
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
  const controllerNames = selectControllers(flags.controllers ?? '*');
  const controllerManager = startControllerManager({
    kubeconfigPath, signal: controllers.signal, logger: log, nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriodMs,
    controllers: controllerNames, clusterCidr: flags.clusterCidr,
  });
  const scheduler = flags.disableScheduler ? { done: Promise.resolve() } : runSchedulerComponent({ kubeconfigPath, signal: controllers.signal, logger: log });
  // Node code (kubelet, CRI, gRPC) loads only when this process runs a node: a control-plane-only
  // server starts faster and stays smaller.
  const simulated = flags.simulatedNodes
    ? (await import('../kubelet/run.js')).runSimulatedNodesComponent({ kubeconfigPath, count: flags.simulatedNodes, capacity: flags.simulatedNodeCapacity, signal: controllers.signal, logger: log })
    : undefined;
  setKubeletClientCredentials({ caCertPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem });
  let agent: Agent | undefined;
  let agentStarting: Promise<void> | undefined;
  if (!flags.disableAgent) {
    const { DEFAULT_CLUSTER_CIDR, DEFAULT_KUBELET_PORT, nodeInternalIp, startAgent } = await import('../node/agent.js');
    const nodeName = (flags.nodeName ?? hostname()).toLowerCase();
    const serving = await pki.signServingCert(nodeName, { dnsNames: [nodeName, 'localhost'], ips: ['127.0.0.1', nodeInternalIp([flags.cniBridge ?? DEFAULT_BRIDGE])] });
    agentStarting = startAgent({
      kubeconfigPath, dataDir: flags.dataDir, nodeName,
      // Without the IPAM controller the embedded node takes the cluster CIDR's first /24 itself.
      podCidr: controllerNames.includes('nodeipam') ? undefined : nodePodCidr(flags.clusterCidr ?? DEFAULT_CLUSTER_CIDR, 0),
      containerRuntimeEndpoint: flags.containerRuntimeEndpoint, cniBridge: flags.cniBridge, kubeletPort: flags.kubeletPort ?? DEFAULT_KUBELET_PORT,
      tls: { caCertPem: pki.caCertPem, certPem: serving.certPem, keyPem: serving.keyPem }, clusterDns: clusterDnsIp(flags.serviceCidr), logger: log,
      podManifestPath: flags.podManifestPath, manifestUrl: flags.manifestUrl,
    }).then((a) => {
      agent = a;
    }, (err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'node agent failed to start');
      process.stderr.write(`skiff: node agent: ${err instanceof Error ? err.message : String(err)}\n`);
      void stop('agent failure', 1);
    });
  }
  api.markReady();
  log.info({ port, dataDir: flags.dataDir, kubeconfig: kubeconfigPath, startupMs: Math.round(performance.now() - started) }, 'skiff server ready');
  process.stderr.write(`skiff server listening on https://${flags.bindAddress}:${port}; kubeconfig ${kubeconfigPath}; node token ${nodeToken.path}\n`);

  let stopping = false;
  const stop = async (signal: string, code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    compactor.stop();
    controllers.abort();
    await Promise.race([Promise.all([controllerManager.done, scheduler.done, simulated?.done]), new Promise((r) => setTimeout(r, 2000))]);
    // The kubelet first, then containerd (by pid); containers keep running in their shims.
    await agentStarting;
    await agent?.stop();
    await api.close();
    await store.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

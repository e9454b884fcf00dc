/**
 * `skiff agent --server https://HOST:PORT --token TOKEN`: one more node for a cluster.
 *
 * Join (see src/client/node-join.ts and src/apiserver/node-join.ts): the token (the server's
 * `<data-dir>/server/node-token`, `K10<CA hash>::node:<secret>`) pins the cluster CA, and its
 * secret buys a `system:node:<name>` client certificate and a kubelet serving certificate, both
 * signed by the cluster CA and fetched again on every start. The node's kubeconfig goes to
 * `<data-dir>/agent/kubelet.kubeconfig`. The node then waits for the server's node IPAM
 * controller to give it a pod CIDR, starts its private containerd (unless
 * `--container-runtime-endpoint`) with a CNI bridge for that CIDR, and runs the kubelet.
 * SIGTERM/SIGINT stop the kubelet and containerd; containers keep running and are adopted on
 * the next start.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultDataDir } from './paths.js';
import { writeKubeconfig } from './kubeconfig.js';
import { log } from './log.js';
import { opt } from './options.js';
import { CONTAINERD_REQUIREMENTS, checkRequirements, cniRequirements } from '../node/containerd/prerequisites.js';
import { DEFAULT_BRIDGE, DEFAULT_CNI_BIN_DIR } from '../node/containerd/config.js';

export interface AgentFlags {
  server: string;
  token: string;
  dataDir: string;
  nodeName?: string;
  nodeIp?: string;
  kubeletPort: number;
  containerRuntimeEndpoint?: string;
  cniBridge?: string;
  podManifestPath?: string;
  verbosity: number;
}

export function agentKubeconfigPath(dataDir: string): string {
  return join(dataDir, 'agent', 'kubelet.kubeconfig');
}

export async function runAgentCommand(flags: AgentFlags): Promise<void> {
  log.level = flags.verbosity >= 4 ? 4 : flags.verbosity >= 1 ? 2 : 1;
  if (!/^https:\/\/[^/]+/.test(flags.server)) throw new Error(`--server must be the server's https:// URL, got ${JSON.stringify(flags.server)}`);
  if (!flags.token) throw new Error('--token (or SKIFF_TOKEN) is required: the contents of <server-data-dir>/server/node-token');
  if (!flags.containerRuntimeEndpoint) {
    if (process.getuid?.() !== 0) throw new Error('skiff agent needs root (containerd, runc and the CNI bridge), or --container-runtime-endpoint');
    checkRequirements([...CONTAINERD_REQUIREMENTS, ...cniRequirements(DEFAULT_CNI_BIN_DIR)]);
  }
  const { joinCluster } = await import('../client/node-join.js');
  const { nodeInternalIp, startAgent } = await import('../node/agent.js');
  const nodeName = (flags.nodeName ?? hostname()).toLowerCase();
  const nodeIp = flags.nodeIp ?? nodeInternalIp([flags.cniBridge ?? DEFAULT_BRIDGE]);
  const certs = await joinCluster({ server: flags.server, token: flags.token, nodeName, addresses: [nodeIp] });
  const kubeconfigPath = agentKubeconfigPath(flags.dataDir);
  writeKubeconfig(kubeconfigPath, {
    server: flags.server.replace(/\/+$/, ''), caCertPem: certs.caCertPem, clientCertPem: certs.clientCertPem, clientKeyPem: certs.clientKeyPem,
  });
  log.info({ server: flags.server, node: nodeName }, 'joined the cluster; node credentials written');

  const agentStarting = startAgent({
    kubeconfigPath, dataDir: flags.dataDir, nodeName, internalIP: nodeIp, kubeletPort: flags.kubeletPort, kubeletBindAddress: '0.0.0.0',
    tls: { caCertPem: certs.caCertPem, certPem: certs.servingCertPem, keyPem: certs.servingKeyPem },
    clusterDns: certs.clusterDns, clusterDomain: certs.clusterDomain, containerRuntimeEndpoint: flags.containerRuntimeEndpoint,
    cniBridge: flags.cniBridge, podManifestPath: flags.podManifestPath, logger: log,
  });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'agent shutting down');
    // The kubelet first, then containerd (by pid); containers keep running in their shims.
    const agent = await agentStarting.catch(() => undefined);
    await agent?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const agent = await agentStarting;
  process.stderr.write(`skiff agent: node ${agent.nodeName} ready (pod CIDR ${agent.podCidr}, kubelet port ${agent.kubeletPort})\n`);
}

export function registerAgentCommand(program: Command): void {
  program.command('agent')
    .description('join a cluster as a node: kubelet and private containerd, credentials from the server\'s node token')
    .addOption(opt('--server <url>', 'the server to join, https://HOST:PORT', 'URL'))
    .addOption(opt('--token <token>', 'node token (<server-data-dir>/server/node-token)', 'TOKEN'))
    .addOption(opt('--token-file <file>', 'file holding the node token', 'TOKEN_FILE'))
    .addOption(opt('--data-dir <dir>', 'state directory', 'DATA_DIR', defaultDataDir()))
    .addOption(opt('--node-name <name>', 'node name (default the host name)', 'NODE_NAME'))
    .addOption(opt('--node-ip <ip>', 'the node\'s InternalIP (default the default route\'s address)', 'NODE_IP'))
    .addOption(opt('--kubelet-port <port>', 'port of the kubelet\'s HTTPS endpoint', 'KUBELET_PORT', '10250'))
    .addOption(opt('--container-runtime-endpoint <endpoint>', 'CRI socket of a running containerd (default: start a private one under <data-dir>/containerd)', 'CONTAINER_RUNTIME_ENDPOINT'))
    .addOption(opt('--pod-manifest-path <dir>', 'static pod manifests (default <data-dir>/pod-manifests)', 'POD_MANIFEST_PATH'))
    .addOption(opt('--cni-bridge <name>', 'Linux bridge for pods', 'CNI_BRIDGE', DEFAULT_BRIDGE).hideHelp())
    .addOption(opt('-v, --v <level>', 'log verbosity', 'V', '0'))
    .action(async (o: Record<string, string | undefined>) => {
      let token = o.token ?? '';
      if (!token && o.tokenFile) {
        const { readFileSync } = await import('node:fs');
        token = readFileSync(o.tokenFile, 'utf8').trim();
      }
      if (!o.server) throw new Error('--server (or SKIFF_URL) is required');
      await runAgentCommand({
        server: o.server, token, dataDir: String(o.dataDir), nodeName: o.nodeName, nodeIp: o.nodeIp,
        kubeletPort: Number(o.kubeletPort ?? 10250), containerRuntimeEndpoint: o.containerRuntimeEndpoint,
        cniBridge: o.cniBridge, podManifestPath: o.podManifestPath, verbosity: Number(o.v ?? 0),
      });
    });
}

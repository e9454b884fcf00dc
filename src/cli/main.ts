/** The `skiff` command. */
import { Command, Option } from 'commander';
import { runServer } from './server-command.js';
import type { ServerFlags } from './server-command.js';
import { defaultDataDir } from './paths.js';
import { registerImageCommand } from './image-command.js';
import { registerAgentCommand } from './agent-command.js';
import { boolEnv, opt } from './options.js';

/** A Go-style duration (`40s`, `1m30s`, `500ms`; a bare number is seconds) in milliseconds. */
function parseDurationMs(text: string, flag: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new Error(`invalid duration for ${flag}: ${text}`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!text) throw new Error(`invalid duration for ${flag}: ${text}`);
  return total;
}

export function buildProgram(): Command {
  const program = new Command('skiff').description('Skiff: a small Kubernetes-compatible orchestrator').version('0.1.0');
  program.command('server')
    .description('run the API server, storage and control plane (one process is a whole cluster)')
    .addOption(opt('--data-dir <dir>', 'state directory', 'DATA_DIR', defaultDataDir()))
    .addOption(opt('--https-port <port>', 'HTTPS port for the API', 'HTTPS_PORT', '6443'))
    .addOption(opt('--bind-address <addr>', 'address to listen on', 'BIND_ADDRESS', '0.0.0.0'))
    .addOption(opt('--datastore-endpoint <url>', 'storage: empty for SQLite in the data dir, or etcd://host:port[,host:port]', 'DATASTORE_ENDPOINT'))
    .addOption(opt('--write-kubeconfig <file>', 'where to write the admin kubeconfig (default <data-dir>/kubeconfig.yaml)', 'WRITE_KUBECONFIG'))
    .addOption(new Option('--disable-agent', 'do not run the embedded node agent (env SKIFF_DISABLE_AGENT)').default(boolEnv('DISABLE_AGENT')))
    .addOption(opt('--service-cidr <cidr>', 'service IP range', 'SERVICE_CIDR', '10.43.0.0/16'))
    .addOption(opt('--service-node-port-range <range>', 'NodePort range', 'SERVICE_NODE_PORT_RANGE', '30000-32767'))
    .addOption(opt('--token-auth-file <file>', 'static bearer tokens (CSV: token,user,uid,"group1,group2")', 'TOKEN_AUTH_FILE'))
    .addOption(opt('--simulated-nodes <n>', 'run N simulated nodes (real kubelet, simulated runtime) in this process', 'SIMULATED_NODES', '0'))
    .addOption(opt('--simulated-node-capacity <list>', 'capacity of each simulated node', 'SIMULATED_NODE_CAPACITY', 'cpu=32,memory=256Gi,pods=110'))
    .addOption(opt('--node-monitor-grace-period <duration>', 'how long a node may miss heartbeats before it is marked Unknown and tainted (e.g. 40s)', 'NODE_MONITOR_GRACE_PERIOD', '40s'))
    .addOption(opt('--controllers <list>', 'controllers to run, as kube-controller-manager: "*" for all, "*,-deployment" to leave one out, or names; "" for none', 'CONTROLLERS', '*'))
    .addOption(new Option('--disable-scheduler', 'do not run the scheduler (env SKIFF_DISABLE_SCHEDULER)').default(boolEnv('DISABLE_SCHEDULER')))
    .addOption(opt('--node-name <name>', 'name of the embedded node (default the host name)', 'NODE_NAME'))
    .addOption(opt('--cluster-cidr <cidr>', 'pod IP range, a /16 (each node takes a /24)', 'CLUSTER_CIDR', '10.42.0.0/16'))
    .addOption(opt('--container-runtime-endpoint <endpoint>', 'CRI socket of a running containerd (default: start a private one under <data-dir>/containerd)', 'CONTAINER_RUNTIME_ENDPOINT'))
    .addOption(opt('--kubelet-port <port>', 'port of the embedded kubelet\'s HTTPS endpoint (logs), on loopback', 'KUBELET_PORT', '10250'))
    .addOption(opt('--pod-manifest-path <dir>', 'static pod manifests the embedded kubelet runs (default <data-dir>/pod-manifests)', 'POD_MANIFEST_PATH'))
    .addOption(opt('--manifest-url <url>', 'URL of static pod manifests the embedded kubelet polls', 'MANIFEST_URL'))
    .addOption(opt('--cni-bridge <name>', 'Linux bridge for pods', 'CNI_BRIDGE', 'skiff0').hideHelp())
    .addOption(opt('-v, --v <level>', 'log verbosity', 'V', '0'))
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const flags: ServerFlags = {
        dataDir: String(o.dataDir),
        httpsPort: Number(o.httpsPort),
        bindAddress: String(o.bindAddress),
        datastoreEndpoint: o.datastoreEndpoint ? String(o.datastoreEndpoint) : undefined,
        writeKubeconfig: o.writeKubeconfig ? String(o.writeKubeconfig) : undefined,
        disableAgent: Boolean(o.disableAgent),
        serviceCidr: String(o.serviceCidr),
        serviceNodePortRange: String(o.serviceNodePortRange),
        tokenAuthFile: o.tokenAuthFile ? String(o.tokenAuthFile) : undefined,
        verbosity: Number(o.v ?? 0),
        simulatedNodes: Number(o.simulatedNodes ?? 0),
        simulatedNodeCapacity: o.simulatedNodeCapacity ? String(o.simulatedNodeCapacity) : undefined,
        controllers: String(o.controllers ?? '*'),
        disableScheduler: Boolean(o.disableScheduler),
        nodeMonitorGracePeriodMs: parseDurationMs(String(o.nodeMonitorGracePeriod ?? '40s'), '--node-monitor-grace-period'),
        nodeName: o.nodeName ? String(o.nodeName) : undefined,
        clusterCidr: String(o.clusterCidr ?? '10.42.0.0/16'),
        containerRuntimeEndpoint: o.containerRuntimeEndpoint ? String(o.containerRuntimeEndpoint) : undefined,
        cniBridge: o.cniBridge ? String(o.cniBridge) : undefined,
        kubeletPort: Number(o.kubeletPort ?? 10250),
        podManifestPath: o.podManifestPath ? String(o.podManifestPath) : undefined,
        manifestUrl: o.manifestUrl ? String(o.manifestUrl) : undefined,
      };
      await runServer(flags);
    });
  registerAgentCommand(program);
  registerImageCommand(program);
  return program;
}

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * The private containerd's files, as k3s writes them: a version 2 `config.toml` with root, state
 * and socket under `<data-dir>/containerd/`, and a CNI network list for this node's bridge.
 */
import { join } from 'node:path';

/** The pause image Skiff builds locally (`skiff image build pause`); no pull is ever needed. */
export const DEFAULT_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';
export const DEFAULT_BRIDGE = 'skiff0';
export const DEFAULT_NETWORK_NAME = 'skiff';
export const DEFAULT_CNI_BIN_DIR = '/usr/lib/cni';
export const CNI_CONFLIST_NAME = '10-skiff.conflist';

export interface ContainerdPaths {
  /** `<data-dir>/containerd` */
  base: string;
  config: string;
  root: string;
  state: string;
  socket: string;
  log: string;
  pidFile: string;
  cniConfDir: string;
  /** host-local IPAM leases */
  ipamDir: string;
  /**
   * hosts.toml per registry (`certs.d/<host>/hosts.toml`, read on every pull, no restart needed).
   * A registry on loopback (`localhost:PORT`, `127.0.0.1:PORT`, `[::1]:PORT`) needs none: with no
   * hosts.toml for it, containerd's CRI plugin speaks plain HTTP to it.
   */
  registryConfigDir: string;
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const base = join(dataDir, 'containerd');
  return {
    base,
    config: join(base, 'config.toml'),
    root: join(base, 'root'),
    state: join(base, 'state'),
    socket: join(base, 'containerd.sock'),
    log: join(base, 'containerd.log'),
    pidFile: join(base, 'containerd.pid'),
    cniConfDir: join(base, 'cni', 'net.d'),
    ipamDir: join(base, 'cni', 'networks'),
    registryConfigDir: join(base, 'certs.d'),
  };
}

export interface ContainerdConfigOptions {
  paths: ContainerdPaths;
  sandboxImage: string;
  cniBinDir: string;
  /** cgroup driver of runc: systemd only when systemd is PID 1. */
  systemdCgroup: boolean;
  /** Exec/attach/port-forward streaming server; port 0 picks a free one. */
  streamServerAddress?: string;
  streamServerPort?: number;
  logLevel?: string;
  /**
   * Never give containers a lower oom_score_adj than containerd's own (as for rootless or
   * restricted hosts): needed when the process lacks CAP_SYS_RESOURCE, or runc fails to set the
   * sandbox's -998.
   */
  restrictOomScoreAdj?: boolean;
}

/** TOML basic string. */
function str(s: string): string {
  return JSON.stringify(s);
}

export function renderContainerdConfig(o: ContainerdConfigOptions): string {
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return [
    '# Written by skiff; rewritten on every start.',
    'version = 2',
    `root = ${str(o.paths.root)}`,
    `state = ${str(o.paths.state)}`,
    '',
    '[grpc]',
    `  address = ${str(o.paths.socket)}`,
    '',
    '[ttrpc]',
    `  address = ${str(`${o.paths.socket}.ttrpc`)}`,
    '',
    '[debug]',
    `  level = ${str(o.logLevel ?? 'info')}`,
    '',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${str(join(o.paths.root, 'opt'))}`,
    '',
    `${cri}]`,
    `  sandbox_image = ${str(o.sandboxImage)}`,
    `  stream_server_address = ${str(o.streamServerAddress ?? '127.0.0.1')}`,
    `  stream_server_port = ${str(String(o.streamServerPort ?? 0))}`,
    '  enable_selinux = false',
    `  restrict_oom_score_adj = ${o.restrictOomScoreAdj ? 'true' : 'false'}`,
    '  max_container_log_line_size = 16384',
    '',
    `${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    '',
    `${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    '',
    `${cri}.containerd.runtimes.runc.options]`,
    `  SystemdCgroup = ${o.systemdCgroup ? 'true' : 'false'}`,
    '',
    `${cri}.cni]`,
    `  bin_dir = ${str(o.cniBinDir)}`,
    `  conf_dir = ${str(o.paths.cniConfDir)}`,
    '  max_conf_num = 1',
    '',
    `${cri}.registry]`,
    `  config_path = ${str(o.paths.registryConfigDir)}`,
    '',
  ].join('\n');
}

export interface CniConfigOptions {
  networkName: string;
  bridge: string;
  /** This node's pod CIDR, e.g. `10.42.0.0/24`; the bridge takes `.1`. */
  podCidr: string;
  ipamDir: string;
  /** Masquerade pod traffic leaving the pod CIDR (default true). */
  ipMasq?: boolean;
  mtu?: number;
}

/**
 * The CNI network list: a `bridge` with host-local IPAM on the pod CIDR, then `portmap` for
 * hostPort. The pod's loopback interface is set up by containerd's CRI plugin itself with the
 * `loopback` plugin from the same bin dir, so it is not part of the list.
 */
export function renderCniConflist(o: CniConfigOptions): string {
  validatePodCidr(o.podCidr);
  const conf = {
    cniVersion: '1.0.0',
    name: o.networkName,
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        ipMasq: o.ipMasq ?? true,
        hairpinMode: true,
        ...(o.mtu ? { mtu: o.mtu } : {}),
        ipam: {
          type: 'host-local',
          dataDir: o.ipamDir,
          ranges: [[{ subnet: o.podCidr }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
  return `${JSON.stringify(conf, null, 2)}\n`;
}

export function validatePodCidr(cidr: string): void {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m.slice(1, 5).some((p) => Number(p) > 255) || Number(m[5]) > 30 || Number(m[5]) < 8) {
    throw new Error(`invalid pod CIDR ${JSON.stringify(cidr)} (want an IPv4 network such as 10.42.0.0/24)`);
  }
}

/** The `index`-th /24 of a /16 cluster CIDR (`10.42.0.0/16`, 3 → `10.42.3.0/24`). */
export function nodePodCidr(clusterCidr: string, index: number): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}\/16$/.exec(clusterCidr);
  if (!m) throw new Error(`cluster CIDR ${JSON.stringify(clusterCidr)} must be a /16`);
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new Error(`node index ${index} out of range for ${clusterCidr}`);
  return `${m[1]}.${m[2]}.${index}.0/24`;
}

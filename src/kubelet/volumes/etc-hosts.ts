/**
 * The kubelet-managed `/etc/hosts` of a pod (upstream kubelet_pods.go makeHostsMount): a file
 * `etc-hosts` in the pod directory, bind-mounted into every container. A pod with its own network
 * gets a header, the localhost lines, one `IP\tHOSTNAME` line per pod IP (`IP\tHOST.DOMAIN\tHOST`
 * with a subdomain) and then the `spec.hostAliases`; a host-network pod gets the node's hosts file
 * under a "(host network)" header plus the aliases.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostAlias, Pod } from '../../apimachinery/generated/types.js';

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const MANAGED_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';
const LOCAL_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
];
const MAX_HOSTNAME = 63;

export const ETC_HOSTS_PATH = '/etc/hosts';

/** The pod's hostname (spec.hostname or its name, cut to 63 characters) and DNS domain (from its subdomain). */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  let hostname = pod.spec?.hostname || pod.metadata?.name || '';
  if (hostname.length > MAX_HOSTNAME) hostname = hostname.slice(0, MAX_HOSTNAME).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain ?? '';
  const domain = sub ? `${sub}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

function aliasLines(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  return `\n# Entries added by HostAliases.\n${aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`;
}

/** The hosts file of a pod with its own network namespace. */
export function managedHostsContent(podIPs: string[], hostname: string, domain: string, aliases: HostAlias[] | undefined): string {
  const own = podIPs.map((ip) => (domain ? `${ip}\t${hostname}.${domain}\t${hostname}` : `${ip}\t${hostname}`));
  return `${MANAGED_HEADER}${[...LOCAL_LINES, ...own].map((l) => `${l}\n`).join('')}${aliasLines(aliases)}`;
}

/** The hosts file of a host-network pod: the node's file plus the aliases. */
export function hostNetworkHostsContent(nodeHosts: string, aliases: HostAlias[] | undefined): string {
  return `${MANAGED_HEADER_HOST_NETWORK}${nodeHosts}${aliasLines(aliases)}`;
}

/** Writes the pod's hosts file into `podDir` and returns its path. */
export async function writePodHostsFile(podDir: string, pod: Pod, podIPs: string[], clusterDomain: string): Promise<string> {
  const file = path.join(podDir, 'etc-hosts');
  let content: string;
  if (pod.spec?.hostNetwork) {
    content = hostNetworkHostsContent(await readFile(ETC_HOSTS_PATH, 'utf8').catch(() => ''), pod.spec.hostAliases);
  } else {
    const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
    content = managedHostsContent(podIPs, hostname, domain, pod.spec?.hostAliases);
  }
  await mkdir(podDir, { recursive: true, mode: 0o750 });
  await writeFile(file, content, { mode: 0o644 });
  return file;
}

/**
 * The node IPAM's address book (upstream's cidrset): the cluster CIDR cut into equal subnets of
 * `maskSize` bits (a /24 per node from a /16), handed out lowest-free-first from a rotating
 * candidate, as upstream does, so a released subnet is not reused at once. IPv4 only.
 */

export interface CidrSet {
  /** The cluster CIDR, normalised (`10.42.0.0/16`). */
  readonly clusterCidr: string;
  readonly maskSize: number;
  /** How many subnets the cluster CIDR holds. */
  readonly capacity: number;
  /** Marks `cidr` used; false when it is not one of this set's subnets. */
  occupy(cidr: string): boolean;
  /** Frees `cidr`; false when it is not one of this set's subnets. */
  release(cidr: string): boolean;
  /** The next free subnet, now marked used; undefined when every subnet is taken. */
  allocateNext(): string | undefined;
  used(): number;
}

function parseIpv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `{ base, prefix }` of an IPv4 CIDR, with the host bits cleared; undefined when not IPv4 CIDR. */
export function parseIpv4Cidr(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return undefined;
  const ip = parseIpv4(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  return { base: ip - (ip % size), prefix };
}

export function createCidrSet(clusterCidr: string, maskSize: number): CidrSet {
  const cluster = parseIpv4Cidr(clusterCidr);
  if (!cluster) throw new Error(`--cluster-cidr ${JSON.stringify(clusterCidr)} is not an IPv4 CIDR`);
  if (!Number.isInteger(maskSize) || maskSize < cluster.prefix || maskSize > 32) {
    throw new Error(`--node-cidr-mask-size ${maskSize} does not fit in --cluster-cidr ${clusterCidr}`);
  }
  if (maskSize - cluster.prefix > 16) throw new Error(`--node-cidr-mask-size ${maskSize} is more than 16 bits longer than --cluster-cidr ${clusterCidr}`);
  const capacity = 2 ** (maskSize - cluster.prefix);
  const step = 2 ** (32 - maskSize);
  const taken = new Uint8Array(capacity);
  let count = 0;
  let next = 0;

  /** Index of `cidr` among the subnets, or -1. */
  function indexOf(cidr: string): number {
    const c = parseIpv4Cidr(cidr);
    if (!c || c.prefix !== maskSize) return -1;
    const offset = c.base - cluster!.base;
    if (offset < 0 || offset >= capacity * step) return -1;
    return offset / step;
  }

  return {
    clusterCidr: `${formatIpv4(cluster.base)}/${cluster.prefix}`,
    maskSize,
    capacity,
    occupy(cidr) {
      const i = indexOf(cidr);
      if (i < 0) return false;
      if (!taken[i]) count++;
      taken[i] = 1;
      return true;
    },
    release(cidr) {
      const i = indexOf(cidr);
      if (i < 0) return false;
      if (taken[i]) count--;
      taken[i] = 0;
      return true;
    },
    allocateNext() {
      if (count >= capacity) return undefined;
      for (let k = 0; k < capacity; k++) {
        const i = (next + k) % capacity;
        if (taken[i]) continue;
        taken[i] = 1;
        count++;
        next = (i + 1) % capacity;
        return `${formatIpv4(cluster.base + i * step)}/${maskSize}`;
      }
      return undefined;
    },
    used: () => count,
  };
}

/** IPv4 CIDR arithmetic for pod and node address ranges. */

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): Ipv4Cidr {
  const [ip, bits] = cidr.split('/');
  const n = ipv4ToNumber(ip ?? '');
  const prefix = Number(bits);
  if (n === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  const size = 2 ** (32 - prefix);
  return { base: n - (n % size), prefix };
}

export function cidrSize(c: Ipv4Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${numberToIpv4(c.base)}/${c.prefix}`;
}

/** The `index`-th subnet of length `prefix` inside `c` (`10.42.0.0/16`, 24, 3 → `10.42.3.0/24`). */
export function subnet(c: Ipv4Cidr, prefix: number, index: number): Ipv4Cidr {
  if (prefix < c.prefix) throw new Error(`/${prefix} does not fit in ${formatCidr(c)}`);
  const count = 2 ** (prefix - c.prefix);
  if (index < 0 || index >= count) throw new Error(`${formatCidr(c)} has only ${count} /${prefix} subnets`);
  return { base: c.base + index * 2 ** (32 - prefix), prefix };
}

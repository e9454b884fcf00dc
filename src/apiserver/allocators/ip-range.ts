/** IPv4 CIDR arithmetic for the service IP allocator. */

export interface Ipv4Range {
  /** First usable address (network + 1) as an integer. */
  first: number;
  /** Last usable address (broadcast - 1). */
  last: number;
  cidr: string;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(cidr: string): Ipv4Range {
  const [ip, bitsText] = cidr.split('/');
  const base = ipToInt(ip);
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) throw new Error(`invalid IPv4 CIDR ${cidr}`);
  const size = 2 ** (32 - bits);
  const network = base - (base % size);
  return { first: network + 1, last: network + size - 2, cidr };
}

/** The first service IP (used by the `kubernetes` Service). */
export function firstServiceIp(cidr: string): string {
  return intToIp(parseCidr(cidr).first);
}

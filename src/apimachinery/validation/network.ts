/** IP, CIDR and port validators with upstream detail texts. */
import { isIP } from 'node:net';

export function isValidIP(value: string): string[] {
  return isIP(value) === 0 ? ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] : [];
}

export function isValidIPv4Address(value: string): string[] {
  return isIP(value) === 4 ? [] : ['must be a valid IPv4 address'];
}

export function isValidIPv6Address(value: string): string[] {
  return isIP(value) === 6 ? [] : ['must be a valid IPv6 address'];
}

export function ipFamilyOf(value: string): 'IPv4' | 'IPv6' | undefined {
  const f = isIP(value);
  return f === 4 ? 'IPv4' : f === 6 ? 'IPv6' : undefined;
}

/** Parses `addr/prefix`; undefined when not a CIDR. */
export function parseCIDR(value: string): { ip: string; prefix: number; family: 4 | 6 } | undefined {
  const slash = value.indexOf('/');
  if (slash < 0) return undefined;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = Number(bits);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { ip, prefix, family: family as 4 | 6 };
}

export function isValidCIDR(value: string): string[] {
  return parseCIDR(value) ? [] : ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'];
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

export function isInRange(value: number, lo: number, hi: number): string[] {
  return value >= lo && value <= hi ? [] : [inclusiveRangeError(lo, hi)];
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** Like isValidPortNum but allows 0. */
export function isValidPortNumOrZero(port: number): string[] {
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? [] : [inclusiveRangeError(0, 65535)];
}

/** IANA_SVC_NAME (RFC 6335) as used for named ports. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(`must be no more than 15 characters`);
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

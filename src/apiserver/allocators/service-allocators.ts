/**
 * ClusterIP and NodePort allocation for Services. The in-memory bitmaps are rebuilt from the stored
 * Services at start (which also repairs leaks from crashes between allocation and write).
 */
import { StatusError, invalid } from '../../apimachinery/errors.js';
import type { FieldError } from '../../apimachinery/errors.js';
import type { KubeObject } from '../../apimachinery/object.js';
import type { ResourceRegistry } from '../rest/resource-registry.js';
import { intToIp, ipToInt, parseCidr } from './ip-range.js';

interface ServicePort { name?: string; port?: number; protocol?: string; nodePort?: number }
interface ServiceSpec { type?: string; clusterIP?: string; clusterIPs?: string[]; ports?: ServicePort[]; ipFamilies?: string[] }
type Service = KubeObject & { spec?: ServiceSpec };

export interface ServiceAllocators {
  allocate(obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): void;
  release(obj: KubeObject, next: KubeObject | undefined): void;
  repair(services: ResourceRegistry | undefined): Promise<void>;
  usedClusterIps(): number;
}

function needsNodePorts(type: string | undefined): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

export function createServiceAllocators(opts: { serviceCidr: string; nodePortRange: string }): ServiceAllocators {
  const range = parseCidr(opts.serviceCidr);
  const [lo, hi] = opts.nodePortRange.split('-').map(Number);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) throw new Error(`invalid node port range ${opts.nodePortRange}`);
  const usedIps = new Set<number>();
  const usedPorts = new Set<number>();

  function pickIp(): number {
    const size = range.last - range.first + 1;
    for (let i = 0; i < 64; i++) {
      // The lower part of the range is kept for static (user-chosen) addresses, as upstream.
      const n = range.first + Math.min(size - 1, Math.floor(size / 16) + Math.floor(Math.random() * (size - Math.floor(size / 16))));
      if (!usedIps.has(n)) return n;
    }
    for (let n = range.first; n <= range.last; n++) if (!usedIps.has(n)) return n;
    throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
  }

  function pickPort(): number {
    for (let i = 0; i < 64; i++) {
      const p = lo + Math.floor(Math.random() * (hi - lo + 1));
      if (!usedPorts.has(p)) return p;
    }
    for (let p = lo; p <= hi; p++) if (!usedPorts.has(p)) return p;
    throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
  }

  function ipsOf(s: Service | undefined): number[] {
    const ip = s?.spec?.clusterIP;
    if (!ip || ip === 'None') return [];
    const n = ipToInt(ip);
    return n === undefined ? [] : [n];
  }
  function portsOf(s: Service | undefined): number[] {
    return (s?.spec?.ports ?? []).map((p) => p.nodePort).filter((p): p is number => typeof p === 'number');
  }

  return {
    allocate(obj, old, dryRun) {
      const svc = obj as Service;
      const prev = old as Service | undefined;
      const spec = svc.spec ?? (svc.spec = {});
      const errs: FieldError[] = [];
      const taken: { ips: number[]; ports: number[] } = { ips: [], ports: [] };
      const ownedIps = new Set(ipsOf(prev));
      const ownedPorts = new Set(portsOf(prev));
      if (spec.type === 'ExternalName') {
        delete spec.clusterIP;
        delete spec.clusterIPs;
      } else if (spec.clusterIP !== 'None') {
        if (!spec.clusterIP && prev?.spec?.clusterIP) spec.clusterIP = prev.spec.clusterIP;
        if (!spec.clusterIP) {
          const n = pickIp();
          taken.ips.push(n);
          spec.clusterIP = intToIp(n);
        } else {
          const n = ipToInt(spec.clusterIP);
          if (n === undefined || n < range.first || n > range.last) {
            errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [spec.clusterIP], detail: `failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${range.cidr}` });
          } else if (!ownedIps.has(n)) {
            if (usedIps.has(n)) errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [spec.clusterIP], detail: `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated` });
            else taken.ips.push(n);
          }
        }
        if (spec.clusterIP) spec.clusterIPs = [spec.clusterIP];
      }
      if (needsNodePorts(spec.type)) {
        const ports = spec.ports ?? [];
        ports.forEach((p, i) => {
          if (p.nodePort === undefined || p.nodePort === 0) {
            const match = prev?.spec?.ports?.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && q.nodePort);
            if (match?.nodePort) { p.nodePort = match.nodePort; return; }
            const n = pickPort();
            taken.ports.push(n);
            usedPorts.add(n);
            p.nodePort = n;
            return;
          }
          if (p.nodePort < lo || p.nodePort > hi) {
            errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}` });
          } else if (!ownedPorts.has(p.nodePort) && (usedPorts.has(p.nodePort) && !taken.ports.includes(p.nodePort))) {
            errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: 'provided port is already allocated' });
          } else if (!ownedPorts.has(p.nodePort)) {
            taken.ports.push(p.nodePort);
            usedPorts.add(p.nodePort);
          }
        });
      } else {
        for (const p of spec.ports ?? []) delete p.nodePort;
      }
      for (const p of taken.ports) usedPorts.delete(p);
      if (errs.length > 0) throw invalid('Service', '', svc.metadata.name ?? '', errs);
      if (!dryRun) {
        for (const n of taken.ips) usedIps.add(n);
        for (const p of taken.ports) usedPorts.add(p);
      }
    },
    release(obj, next) {
      const keepIps = new Set(ipsOf(next as Service | undefined));
      const keepPorts = new Set(portsOf(next as Service | undefined));
      for (const n of ipsOf(obj as Service)) if (!keepIps.has(n)) usedIps.delete(n);
      for (const p of portsOf(obj as Service)) if (!keepPorts.has(p)) usedPorts.delete(p);
    },
    async repair(services) {
      if (!services) return;
      usedIps.clear();
      usedPorts.clear();
      const all = await services.list('', { resourceVersion: '', resourceVersionMatch: '', limit: 0, continueToken: '', filter: () => true });
      for (const s of all.items) {
        for (const n of ipsOf(s as Service)) usedIps.add(n);
        for (const p of portsOf(s as Service)) usedPorts.add(p);
      }
    },
    usedClusterIps: () => usedIps.size,
  };
}

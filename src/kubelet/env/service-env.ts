/**
 * Docker-link style service variables (upstream envvars.FromServices): for each service with a
 * cluster IP, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>`,
 * `<NAME>_PORT` and the `<NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]` family.
 */
import type { Service } from '../../apimachinery/generated/types.js';

export const MASTER_SERVICE_NAMESPACE = 'default';
export const MASTER_SERVICES = new Set(['kubernetes']);

function varName(s: string): string {
  return s.replace(/-/g, '_').toUpperCase();
}

export function hasClusterIP(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function serviceEnvVars(services: Service[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const svc of services) {
    const ports = svc.spec?.ports ?? [];
    if (!hasClusterIP(svc) || ports.length === 0) continue;
    const ip = svc.spec!.clusterIP!;
    const prefix = varName(svc.metadata?.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0]!.port) });
    for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${varName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto = p.protocol || 'TCP';
      const url = `${proto.toLowerCase()}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ name: pp, value: url }, { name: `${pp}_PROTO`, value: proto.toLowerCase() },
        { name: `${pp}_PORT`, value: String(p.port) }, { name: `${pp}_ADDR`, value: ip });
    });
  }
  return out;
}

/**
 * The services whose variables a pod in `namespace` gets (upstream getServiceEnvVarMap): the
 * master services of `default` always, every service of the namespace when links are enabled
 * (a namespace service of the same name wins over the master one).
 */
export function servicesForPod(namespace: string, enableServiceLinks: boolean, nsServices: Service[], masterServices: Service[]): Service[] {
  const byName = new Map<string, Service>();
  if (enableServiceLinks) for (const s of nsServices) if (hasClusterIP(s)) byName.set(s.metadata?.name ?? '', s);
  for (const s of masterServices) {
    const name = s.metadata?.name ?? '';
    if (!hasClusterIP(s) || !MASTER_SERVICES.has(name)) continue;
    if (namespace === MASTER_SERVICE_NAMESPACE && enableServiceLinks) byName.set(name, s);
    else if (!byName.has(name)) byName.set(name, s);
  }
  return [...byName.keys()].sort().map((k) => byName.get(k)!);
}

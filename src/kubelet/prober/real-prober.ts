/**
 * The prober for real runtimes: dispatches each probe by its handler — exec through the
 * runtime's ExecSync, httpGet / tcpSocket to the pod IP (or the handler's `host`), grpc to the
 * pod IP — with `timeoutSeconds` (default 1). Named ports resolve through the container's
 * `ports`. Warnings (a redirect to another host) count as success and are passed to `onWarning`
 * (upstream's `ProbeWarning` event).
 */
import type { Container, IntOrString } from '../../apimachinery/generated/types.js';
import type { RuntimeService } from '../runtime/runtime.js';
import { execProbe } from './exec-probe.js';
import { grpcProbe } from './grpc-probe.js';
import { httpProbe } from './http-probe.js';
import type { ProbeResult } from './probe-result.js';
import type { ProbeOutcome, ProbeRequest, Prober } from './prober.js';
import { tcpProbe } from './tcp-probe.js';

/** A probe or handler port: a number, a container port name, or a number written as text. */
export function resolveContainerPort(port: IntOrString, container: Container): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const named = (container.ports ?? []).find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^\d+$/.test(port)) n = Number(port);
    else throw new Error(`port ${port} not found`);
  }
  if (!(n > 0 && n < 65536)) throw new Error(`invalid port number: ${n}`);
  return n;
}

export interface RealProberOptions {
  runtime: Pick<RuntimeService, 'execSync'>;
  onWarning?(req: ProbeRequest, output: string): void;
}

export async function runProbe(runtime: Pick<RuntimeService, 'execSync'>, req: ProbeRequest): Promise<ProbeResult> {
  const { probe, container } = req;
  const timeoutSeconds = Math.max(1, probe.timeoutSeconds ?? 1);
  if (probe.exec) return execProbe(runtime, req.containerId, probe.exec.command ?? [], timeoutSeconds);
  if (probe.httpGet) {
    const h = probe.httpGet;
    return httpProbe({
      scheme: h.scheme ?? 'HTTP', host: h.host || req.podIp, port: resolveContainerPort(h.port, container), path: h.path ?? '',
      headers: h.httpHeaders, timeoutMs: timeoutSeconds * 1000,
    });
  }
  if (probe.tcpSocket) {
    return tcpProbe(probe.tcpSocket.host || req.podIp, resolveContainerPort(probe.tcpSocket.port, container), timeoutSeconds * 1000);
  }
  if (probe.grpc) return grpcProbe(req.podIp, probe.grpc.port, probe.grpc.service ?? '', timeoutSeconds * 1000);
  return { result: 'failure', output: 'missing probe handler' };
}

export function createRealProber(opts: RealProberOptions): Prober {
  return {
    async probe(req): Promise<ProbeOutcome> {
      let r: ProbeResult;
      try {
        r = await runProbe(opts.runtime, req);
      } catch (err) {
        return { success: false, output: err instanceof Error ? err.message : String(err) };
      }
      if (r.result === 'warning') opts.onWarning?.(req, r.output);
      return { success: r.result !== 'failure', output: r.output };
    },
  };
}

/**
 * grpc probes (upstream probe/grpc): one unary `grpc.health.v1.Health/Check` call over HTTP/2
 * without TLS to `podIP:port`, with the probe's `service`. SERVING is success; any other status,
 * an RPC error or a connection failure is a failure with upstream's output texts. Spoken directly
 * with `node:http2` (the request and response are one-field protobuf messages), so the kubelet
 * needs no gRPC library.
 */
import http2 from 'node:http2';
import type { ProbeResult } from './probe-result.js';
import { goDuration, joinHostPort } from './probe-result.js';
import { PROBE_USER_AGENT } from './http-probe.js';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const GRPC_UNIMPLEMENTED = 12;
const GRPC_DEADLINE_EXCEEDED = 4;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** A length-prefixed gRPC message carrying `HealthCheckRequest{service}`. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const s = Buffer.from(service, 'utf8');
  const msg = s.length > 0 ? Buffer.concat([Buffer.from([0x0a, ...varint(s.length)]), s]) : Buffer.alloc(0);
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** The `status` of a `HealthCheckResponse` (field 1, varint); 0 when absent. */
export function decodeHealthCheckStatus(msg: Buffer): number {
  let i = 0;
  let status = 0;
  const readVarint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = msg[i++];
      if (b === undefined) throw new Error('truncated message');
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
    }
  };
  while (i < msg.length) {
    const key = readVarint();
    const wire = key & 7;
    if (key >>> 3 === 1 && wire === 0) status = readVarint();
    else if (wire === 0) readVarint();
    else if (wire === 2) i += readVarint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return status;
}

export function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeResult> {
  const addr = joinHostPort(host, port);
  const dur = goDuration(timeoutMs);
  return new Promise((resolve) => {
    let done = false;
    let connected = false;
    const session = http2.connect(`http://${addr}`);
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(connected
      ? { result: 'failure', output: `timeout: health rpc did not complete within ${dur}` }
      : { result: 'failure', output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${dur}: context deadline exceeded` }), timeoutMs);
    const connectFailed = (err: Error): void => {
      const cause = err.cause instanceof Error ? err.cause : err;
      finish({ result: 'failure', output: `error: failed to connect service at ${JSON.stringify(addr)}: ${cause.message}` });
    };
    session.on('error', connectFailed);
    session.on('connect', () => {
      connected = true;
    });
    const req = session.request({
      ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers',
      'user-agent': PROBE_USER_AGENT, 'grpc-timeout': `${Math.max(1, timeoutMs)}m`,
    });
    const chunks: Buffer[] = [];
    let headerStatus: Record<string, string | string[] | undefined> = {};
    let httpStatus = 0;
    req.on('response', (headers) => {
      httpStatus = Number(headers[':status'] ?? 0);
      headerStatus = { 'grpc-status': headers['grpc-status'], 'grpc-message': headers['grpc-message'] };
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) => {
      if (!connected) connectFailed(err);
      else finish({ result: 'failure', output: `error: health rpc probe failed: ${err.message}` });
    });
    const settle = (trailers: Record<string, string | string[] | undefined>): void => {
      const rawStatus = trailers['grpc-status'] ?? headerStatus['grpc-status'];
      const grpcStatus = rawStatus === undefined ? 2 : Number(rawStatus);
      const grpcMessage = rawStatus === undefined ? `unexpected HTTP status code received from server: ${httpStatus}`
        : decodeURIComponent(String(trailers['grpc-message'] ?? headerStatus['grpc-message'] ?? ''));
      if (grpcStatus === GRPC_UNIMPLEMENTED) {
        finish({ result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}` });
        return;
      }
      if (grpcStatus === GRPC_DEADLINE_EXCEEDED) {
        finish({ result: 'failure', output: `timeout: health rpc did not complete within ${dur}` });
        return;
      }
      if (grpcStatus !== 0) {
        finish({ result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${grpcStatus} desc = ${grpcMessage}` });
        return;
      }
      const body = Buffer.concat(chunks);
      let status: number;
      try {
        if (body.length < 5) throw new Error('no response message');
        status = decodeHealthCheckStatus(body.subarray(5, 5 + body.readUInt32BE(1)));
      } catch (err) {
        finish({ result: 'failure', output: `error: health rpc probe failed: ${(err as Error).message}` });
        return;
      }
      if (status !== 1) finish({ result: 'failure', output: `service unhealthy (responded with ${JSON.stringify(SERVING_STATUS[status] ?? String(status))})` });
      else finish({ result: 'success', output: 'service healthy' });
    };
    let trailers: Record<string, string | string[] | undefined> | undefined;
    req.on('trailers', (t) => {
      trailers = t;
    });
    req.on('end', () => settle(trailers ?? {}));
    req.end(encodeHealthCheckRequest(service));
  });
}

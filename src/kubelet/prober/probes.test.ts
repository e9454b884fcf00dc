import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Container, Pod, Probe } from '../../apimachinery/generated/types.js';
import type { ExecSyncRequest, ExecSyncResponse, RuntimeService } from '../runtime/runtime.js';
import { RuntimeError } from '../runtime/runtime.js';
import { execProbe } from './exec-probe.js';
import { decodeHealthCheckStatus, encodeHealthCheckRequest, grpcProbe } from './grpc-probe.js';
import { httpProbe, probeUrl } from './http-probe.js';
import { createRealProber, resolveContainerPort } from './real-prober.js';
import { tcpProbe } from './tcp-probe.js';

let server: http.Server;
let port = 0;
const seen: http.IncomingHttpHeaders[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ok') res.end('fine');
    else if (url.pathname === '/fail') { res.statusCode = 503; res.end('no'); }
    else if (url.pathname === '/redirect-local') { res.statusCode = 302; res.setHeader('location', '/ok'); res.end(); }
    else if (url.pathname === '/redirect-loop') { res.statusCode = 302; res.setHeader('location', '/redirect-loop'); res.end(); }
    else if (url.pathname === '/redirect-away') { res.statusCode = 301; res.setHeader('location', `http://localhost:${port}/fail`); res.end('moved'); }
    else if (url.pathname === '/redirect-bad') { res.statusCode = 302; res.setHeader('location', '/fail'); res.end(); }
    else if (url.pathname === '/slow') setTimeout(() => res.end('late'), 1500);
    else if (url.pathname === '/query') res.end(url.search);
    else { res.statusCode = 404; res.end(); }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const h = (p: string, extra: Partial<Parameters<typeof httpProbe>[0]> = {}): ReturnType<typeof httpProbe> =>
  httpProbe({ scheme: 'HTTP', host: '127.0.0.1', port, path: p, timeoutMs: 1000, ...extra });

test('http: status codes, redirects, headers, timeout, refused', async () => {
  assert.deepEqual(await h('/ok'), { result: 'success', output: 'fine' });
  assert.deepEqual(await h('/fail'), { result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
  assert.deepEqual(await h('/redirect-local'), { result: 'success', output: 'fine' });
  assert.deepEqual(await h('/redirect-bad'), { result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
  assert.deepEqual(await h('/redirect-away'), { result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
  assert.match((await h('/redirect-loop')).output, /stopped after 10 redirects/);
  assert.deepEqual(await h('/query?a=1'), { result: 'success', output: '?a=1' });
  seen.length = 0;
  await h('/ok', { headers: [{ name: 'X-Custom', value: 'v' }, { name: 'Host', value: 'example.test' }] });
  assert.equal(seen[0]!['user-agent'], 'kube-probe/1.32');
  assert.equal(seen[0]!.accept, '*/*');
  assert.equal(seen[0]!['x-custom'], 'v');
  assert.equal(seen[0]!.host, 'example.test');
  seen.length = 0;
  await h('/ok', { headers: [{ name: 'User-Agent', value: 'mine' }] });
  assert.equal(seen[0]!['user-agent'], 'mine');
  const slow = await h('/slow', { timeoutMs: 200 });
  assert.equal(slow.result, 'failure');
  assert.match(slow.output, /^Get "http:\/\/127\.0\.0\.1:\d+\/slow": context deadline exceeded/);
  const closed = await freePort();
  assert.deepEqual(await httpProbe({ scheme: 'HTTP', host: '127.0.0.1', port: closed, path: '/', timeoutMs: 1000 }),
    { result: 'failure', output: `Get "http://127.0.0.1:${closed}/": dial tcp 127.0.0.1:${closed}: connect: connection refused` });
  assert.equal(probeUrl('HTTP', '::1', 80, 'healthz'), 'http://[::1]:80/healthz');
});

test('https without certificate verification', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'),
      '-days', '1', '-subj', '/CN=probe-test'], { stdio: 'ignore' });
    const srv = https.createServer({ key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) }, (_req, res) => res.end('tls'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const p = (srv.address() as AddressInfo).port;
      assert.deepEqual(await httpProbe({ scheme: 'HTTPS', host: '127.0.0.1', port: p, path: '/', timeoutMs: 2000 }), { result: 'success', output: 'tls' });
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

test('tcp: open and closed ports', async () => {
  assert.deepEqual(await tcpProbe('127.0.0.1', port, 1000), { result: 'success', output: '' });
  const closed = await freePort();
  assert.deepEqual(await tcpProbe('127.0.0.1', closed, 1000), { result: 'failure', output: `dial tcp 127.0.0.1:${closed}: connect: connection refused` });
});

test('exec: exit codes, output and timeouts through ExecSync', async () => {
  const calls: ExecSyncRequest[] = [];
  const rt = {
    async execSync(req: ExecSyncRequest): Promise<ExecSyncResponse> {
      calls.push(req);
      if (req.cmd[0] === 'slow') throw new RuntimeError('DeadlineExceeded', 'deadline exceeded');
      const code = Number(req.cmd[1] ?? 0);
      return { stdout: Buffer.from('out;'), stderr: Buffer.from('err'), exitCode: code };
    },
  };
  assert.deepEqual(await execProbe(rt, 'cid', ['x', '0'], 3), { result: 'success', output: 'out;err' });
  assert.deepEqual(await execProbe(rt, 'cid', ['x', '1'], 3), { result: 'failure', output: 'out;err' });
  assert.deepEqual(await execProbe(rt, 'cid', ['slow', 'cmd'], 1), { result: 'failure', output: 'command "slow cmd" timed out' });
  assert.deepEqual(calls[0], { containerId: 'cid', cmd: ['x', '0'], timeout: 3 });
});

interface HealthState {
  status: number;
}

function healthServer(state: Map<string, HealthState>): grpc.Server {
  const server = new grpc.Server();
  const definition: grpc.ServiceDefinition = {
    Check: {
      path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
      requestSerialize: (v: { service: string }) => encodeHealthCheckRequest(v.service).subarray(5),
      requestDeserialize: (b: Buffer) => ({ service: b.length > 2 ? b.subarray(2).toString('utf8') : '' }),
      responseSerialize: (v: number) => Buffer.from(v ? [0x08, v] : []),
      responseDeserialize: (b: Buffer) => decodeHealthCheckStatus(b),
    },
  };
  server.addService(definition, {
    Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, cb: grpc.sendUnaryData<number>) => {
      const s = state.get(call.request.service);
      if (!s) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      else cb(null, s.status);
    },
  });
  return server;
}

test('grpc: health protocol against a grpc-js server', async () => {
  const state = new Map<string, HealthState>([['', { status: 1 }], ['down', { status: 2 }]]);
  const srv = healthServer(state);
  const p = await new Promise<number>((resolve, reject) => srv.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, n) => (e ? reject(e) : resolve(n))));
  const bare = new grpc.Server();
  const p2 = await new Promise<number>((resolve, reject) => bare.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, n) => (e ? reject(e) : resolve(n))));
  try {
    assert.deepEqual(await grpcProbe('127.0.0.1', p, '', 2000), { result: 'success', output: 'service healthy' });
    assert.deepEqual(await grpcProbe('127.0.0.1', p, 'down', 2000), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    const nf = await grpcProbe('127.0.0.1', p, 'other', 2000);
    assert.equal(nf.result, 'failure');
    assert.match(nf.output, /^error: health rpc probe failed: rpc error: code = 5 desc = unknown service/);
    const unimpl = await grpcProbe('127.0.0.1', p2, '', 2000);
    assert.equal(unimpl.result, 'failure');
    assert.match(unimpl.output, /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\)/);
    const closed = await freePort();
    const refused = await grpcProbe('127.0.0.1', closed, '', 1000);
    assert.equal(refused.result, 'failure');
    assert.match(refused.output, new RegExp(`^error: failed to connect service at "127\\.0\\.0\\.1:${closed}"`));
  } finally {
    srv.forceShutdown();
    bare.forceShutdown();
  }
});

test('real prober dispatches by handler and resolves named ports', async () => {
  const container: Container = { name: 'c', ports: [{ name: 'http', containerPort: port }] };
  assert.equal(resolveContainerPort('http', container), port);
  assert.equal(resolveContainerPort('8080', container), 8080);
  assert.throws(() => resolveContainerPort('nope', container), /port nope not found/);
  assert.throws(() => resolveContainerPort(0, container), /invalid port number: 0/);
  const warnings: string[] = [];
  const rt: Pick<RuntimeService, 'execSync'> = { execSync: async () => ({ stdout: new Uint8Array(), stderr: new Uint8Array(), exitCode: 0 }) };
  const prober = createRealProber({ runtime: rt, onWarning: (_r, o) => warnings.push(o) });
  const pod: Pod = { metadata: { name: 'p' }, spec: { containers: [container] } };
  const ask = (probe: Probe): ReturnType<typeof prober.probe> => prober.probe({ probeType: 'readiness', pod, container, containerId: 'id', probe, podIp: '127.0.0.1' });
  assert.equal((await ask({ httpGet: { port: 'http', path: '/ok' } })).success, true);
  assert.equal((await ask({ httpGet: { port: 'http', path: '/fail' } })).success, false);
  assert.equal((await ask({ httpGet: { port: 'http', path: '/redirect-away' } })).success, true);
  assert.equal(warnings.length, 1);
  assert.equal((await ask({ tcpSocket: { port: 'http' } })).success, true);
  assert.equal((await ask({ exec: { command: ['true'] } })).success, true);
  assert.deepEqual(await ask({ tcpSocket: { port: 'missing' } }), { success: false, output: 'port missing not found' });
});

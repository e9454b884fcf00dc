import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container, Pod } from '../../apimachinery/generated/types.js';
import type { ExecSyncRequest, ExecSyncResponse } from '../runtime/runtime.js';
import type { HandlerRunner } from './handlers.js';
import { createHandlerRunner } from './handlers.js';
import { runPreStop } from './pre-stop.js';

let server: http.Server;
let port = 0;
const hits: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.statusCode = req.url === '/bad' ? 500 : 200;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [] } };
const container: Container = { name: 'c', ports: [{ name: 'web', containerPort: 1 }] };
const runtime = {
  async execSync(req: ExecSyncRequest): Promise<ExecSyncResponse> {
    const code = Number(req.cmd[req.cmd.length - 1]);
    return { stdout: Buffer.from('o'), stderr: Buffer.from(code ? 'boom' : ''), exitCode: code };
  },
};

test('exec hooks report upstream messages', async () => {
  const r = createHandlerRunner({ runtime });
  assert.deepEqual(await r.run({ pod, container, containerId: 'id', podIp: '127.0.0.1', handler: { exec: { command: ['sh', '-c', '0'] } } }), { ok: true, message: '' });
  assert.deepEqual(await r.run({ pod, container, containerId: 'id', podIp: '127.0.0.1', handler: { exec: { command: ['sh', '-c', '3'] } } }), {
    ok: false,
    message: 'Exec lifecycle hook ([sh -c 3]) for Container "c" in Pod "p_ns(u)" failed - error: command \'sh -c 3\' exited with 3: boom, message: "oboom"',
  });
});

test('http hooks: any answer is fine, connection errors fail; no traffic without network', async () => {
  const r = createHandlerRunner({ runtime, httpTimeoutMs: 2000 });
  hits.length = 0;
  assert.equal((await r.run({ pod, container, containerId: 'id', podIp: '127.0.0.1', handler: { httpGet: { port, path: '/stop' } } })).ok, true);
  assert.equal((await r.run({ pod, container, containerId: 'id', podIp: '127.0.0.1', handler: { httpGet: { port, path: '/bad' } } })).ok, true);
  assert.deepEqual(hits, ['/stop', '/bad']);
  const refused = await r.run({ pod, container, containerId: 'id', podIp: '127.0.0.1', handler: { httpGet: { port: 'web', path: '/x' } } });
  assert.equal(refused.ok, false);
  assert.match(refused.message, /^HTTP lifecycle hook \(\/x\) for Container "c" in Pod "p_ns\(u\)" failed - error: Get "http:\/\/127\.0\.0\.1:1\/x": dial tcp 127\.0\.0\.1:1: connect: connection refused$/);
  const off = createHandlerRunner({ runtime, network: false });
  hits.length = 0;
  assert.equal((await off.run({ pod, container, containerId: 'id', podIp: '10.0.0.1', handler: { httpGet: { port, path: '/stop' } } })).ok, true);
  assert.deepEqual(hits, []);
  assert.equal((await off.run({ pod, container, containerId: 'id', podIp: '1', handler: { tcpSocket: { port: 1 } } })).ok, false);
});

test('sleep hooks and preStop within the grace period', async () => {
  const r = createHandlerRunner({ runtime });
  const t0 = Date.now();
  const quick = await runPreStop(r, { pod, container, containerId: 'id', podIp: '', handler: { sleep: { seconds: 1 } } }, 30);
  // A timer may fire a millisecond early on the wall clock, so allow that much.
  assert.ok(Date.now() - t0 >= 990, `slept ${Date.now() - t0} ms`);
  assert.deepEqual(quick.result, { ok: true, message: '' });
  // The whole seconds the hook used come off the grace period (exact on a clock the test moves).
  let clock = 0;
  const slow: HandlerRunner = {
    async run() {
      clock += 1_500;
      return { ok: true, message: '' };
    },
  };
  const used = await runPreStop(slow, { pod, container, containerId: 'id', podIp: '', handler: { sleep: { seconds: 2 } } }, 30, () => clock);
  assert.equal(used.elapsedSeconds, 1);
  assert.equal(used.remainingGraceSeconds, 29);
  // A hook longer than the grace period is cut off; the kill still gets the minimum 2 s.
  const cut = await runPreStop(r, { pod, container, containerId: 'id', podIp: '', handler: { sleep: { seconds: 30 } } }, 1);
  assert.equal(cut.result, undefined);
  assert.equal(cut.remainingGraceSeconds, 2);
});

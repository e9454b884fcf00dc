/**
 * The pods' streaming subresources (exec, attach, portforward) refuse what upstream refuses,
 * before any upgrade, with upstream's `Status` texts: unknown pod, missing or unknown container,
 * pod without a node, no credentials, no upgrade at all. kubectl shows those texts. Pods on a
 * simulated node cannot stream. Other upgrade requests are served as plain requests. One
 * `skiff server --simulated-nodes 1` (no containerd) for the whole file; the real streams are
 * covered by node-agent-portforward.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiRequest, startServer } from '../helpers/cluster.js';
import type { ApiResponse, TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

let server: TestServer;
const PODS = '/api/v1/namespaces/default/pods';
const SPDY_EXEC = { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' };
const WS_PORTFORWARD = {
  connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io',
};

function pod(name: string, containers: string[], opts: { unschedulable?: boolean } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      ...(opts.unschedulable ? { nodeSelector: { 'example.com/none': 'x' } } : {}),
      containers: containers.map((c) => ({ name: c, image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' })),
    },
  });
}

function status(r: ApiResponse, code: number, reason: string, message: string): void {
  assert.equal(r.status, code, r.body);
  const s = r.json<{ kind: string; code: number; reason: string; message: string }>();
  assert.deepEqual({ kind: s.kind, code: s.code, reason: s.reason, message: s.message }, { kind: 'Status', code, reason, message });
}

describe('pod exec, attach and port-forward: refusals and routing', { timeout: 180_000 }, () => {
  before(async () => {
    server = await startServer({ args: ['--simulated-nodes', '1'] });
    for (const manifest of [pod('unbound', ['main'], { unschedulable: true }), pod('two', ['a', 'b'], { unschedulable: true }), pod('sim', ['main'])]) {
      await kubectlOk(server, ['apply', '-f', '-'], { input: manifest });
    }
    await eventually('pod sim running', async () => {
      const r = await kubectl(server, ['get', 'pod', 'sim', '-o', 'jsonpath={.status.phase}']);
      return r.stdout === 'Running' ? true : undefined;
    }, 60_000);
  });

  after(async () => {
    await server?.cleanup();
  });

  test('kubectl exec into a pod without a node shows upstream\'s text', async () => {
    const r = await kubectl(server, ['exec', 'unbound', '--', 'true'], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod unbound does not have a host assigned/);
  });

  test('container choice: several containers need a name, an unknown one is refused, a missing pod is 404', async () => {
    status(await apiRequest(server, 'POST', `${PODS}/two/exec?command=true&stdout=true`, undefined, SPDY_EXEC),
      400, 'BadRequest', 'a container name must be specified for pod two, choose one of: [a b]');
    status(await apiRequest(server, 'POST', `${PODS}/two/attach?container=nope&stdout=true`, undefined, SPDY_EXEC),
      400, 'BadRequest', 'container nope is not valid for pod two');
    status(await apiRequest(server, 'GET', `${PODS}/ghost/exec?command=true&stdout=true`, undefined, SPDY_EXEC),
      404, 'NotFound', 'pods "ghost" not found');
    status(await apiRequest(server, 'POST', `${PODS}/two/exec?container=b&command=true&stdout=true`, undefined, SPDY_EXEC),
      400, 'BadRequest', 'pod two does not have a host assigned');
  });

  test('port-forward over tunneled WebSocket answers a Status, not an upgrade, for a pod without a node', async () => {
    status(await apiRequest(server, 'GET', `${PODS}/unbound/portforward`, undefined, WS_PORTFORWARD),
      400, 'BadRequest', 'pod unbound does not have a host assigned');
  });

  test('without an upgrade the streaming paths answer "Upgrade request required"', async () => {
    status(await apiRequest(server, 'POST', `${PODS}/sim/exec?command=true&stdout=true`), 400, 'BadRequest', 'Upgrade request required');
    status(await apiRequest(server, 'GET', `${PODS}/sim/portforward?ports=80`), 400, 'BadRequest', 'Upgrade request required');
    status(await apiRequest(server, 'GET', `${PODS}/ghost/attach`), 404, 'NotFound', 'pods "ghost" not found');
  });

  test('an upgrade without credentials is 401', async () => {
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: server.port, method: 'POST', path: `${PODS}/sim/exec?command=true&stdout=true`, headers: SPDY_EXEC,
        ca: readFileSync(join(server.dataDir, 'tls', 'server-ca.crt')), agent: false,
      }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('upgrade', () => reject(new Error('upgraded without credentials')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(r.status, 401);
    assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'Unauthorized');
  });

  test('kubectl port-forward to a pod on a simulated node fails with a clear message', async () => {
    const r = await kubectl(server, ['port-forward', 'pod/sim', ':80'], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod sim runs on the simulated node sim-0/);
  });

  test('other upgrade requests are served as plain requests', async () => {
    const r = await apiRequest(server, 'GET', PODS, undefined, { connection: 'Upgrade', upgrade: 'websocket' });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json<{ kind: string }>().kind, 'PodList');
  });
});

/**
 * The proxy subresources against `skiff server --simulated-nodes 1`, driven by the real kubectl:
 * a simulated node's kubelet answers `/healthz` and `/stats/summary` in-process; upstream's errors
 * for a missing node or pod, a pod without an IP, a simulated pod, a Service without endpoints
 * or without the asked port, and a malformed name. The forwarding itself (methods, query, header
 * filtering, redirects) is checked through `nodes/NAME:PORT/proxy` to a node object whose address
 * is loopback, where this test runs a small HTTP server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { apiRequest, kubectl, kubectlOk } from '../helpers/kubectl.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'proxy-errors';

interface Echo { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

describe('proxy subresources on simulated nodes', () => {
  let server: TestServer;
  let backend: http.Server;
  let backendPort = 0;

  before(async () => {
    backend = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/go-home') {
          res.writeHead(302, { Location: `http://127.0.0.1:${backendPort}/home?x=1` });
          return void res.end();
        }
        const echo: Echo = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Backend': 'echo', Connection: 'close' });
        res.end(JSON.stringify(echo));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    backendPort = (backend.address() as AddressInfo).port;

    server = await startServer({ args: ['--simulated-nodes', '1'] });
    await kubectlOk(server, ['create', 'namespace', NS]);
    await kubectlOk(server, ['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'loopback-node' } }),
    });
    const st = await apiRequest(server, 'PATCH', '/api/v1/nodes/loopback-node/status', {
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: 1 } } },
    }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(st.status, 200, st.body);
    const pod = (name: string, node: string): string => JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: name } },
      spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'c', image: 'busybox:1.35', ports: [{ containerPort: 8080 }] }] },
    });
    await kubectlOk(server, ['create', '-f', '-'], { input: pod('sim', 'sim-0') });
    await kubectlOk(server, ['create', '-f', '-'], { input: pod('nowhere', 'no-such-node') });
    await kubectlOk(server, ['-n', NS, 'create', 'service', 'clusterip', 'empty', '--tcp=80:8080']);
    await eventually('pod sim has an IP', async () => (await kubectlOk(server, ['-n', NS, 'get', 'pod', 'sim', '-o', 'jsonpath={.status.podIP}'])).trim() || undefined, 60_000);
  });

  after(async () => {
    await server?.cleanup();
    await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
  });

  async function rawError(path: string): Promise<string> {
    const r = await kubectl(server, ['get', '--raw', path]);
    assert.notEqual(r.code, 0, `${path} should fail: ${r.stdout}`);
    return r.stderr.trim();
  }

  it('a simulated node answers healthz and stats/summary through nodes/proxy', async () => {
    assert.equal(await kubectlOk(server, ['get', '--raw', '/api/v1/nodes/sim-0/proxy/healthz']), 'ok');
    const summary = await eventually('summary of sim-0', async () => {
      const s = JSON.parse(await kubectlOk(server, ['get', '--raw', '/api/v1/nodes/sim-0/proxy/stats/summary'])) as { node?: { nodeName?: string }; pods?: { podRef: { name: string } }[] };
      return s.pods?.some((p) => p.podRef.name === 'sim') ? s : undefined;
    }, 60_000);
    assert.equal(summary.node?.nodeName, 'sim-0');
    assert.match(await rawError('/api/v1/nodes/sim-0/proxy/containerLogs/a/b/c'), /^Error from server \(ServiceUnavailable\): error trying to reach service: /);
  });

  it('answers upstream errors for missing objects, missing addresses and missing endpoints', async () => {
    assert.equal(await rawError('/api/v1/nodes/no-such-node/proxy/healthz'), 'Error from server (NotFound): nodes "no-such-node" not found');
    assert.equal(await rawError(`/api/v1/namespaces/${NS}/pods/ghost/proxy/`), 'Error from server (NotFound): pods "ghost" not found');
    assert.equal(await rawError(`/api/v1/namespaces/${NS}/pods/nowhere/proxy/`), 'Error from server (BadRequest): address not allowed');
    assert.equal(await rawError(`/api/v1/namespaces/${NS}/pods/a:b:c:d/proxy/`), 'Error from server (BadRequest): invalid pod request "a:b:c:d"');
    assert.match(await rawError(`/api/v1/namespaces/${NS}/pods/sim:8080/proxy/`), /^Error from server \(ServiceUnavailable\): error trying to reach service: dial tcp [0-9.]+:8080: /);
    assert.equal(await rawError(`/api/v1/namespaces/${NS}/services/empty/proxy/`), 'Error from server (ServiceUnavailable): no endpoints available for service "empty"');
    assert.equal(await rawError(`/api/v1/namespaces/${NS}/services/empty:99/proxy/`), 'Error from server (ServiceUnavailable): no service port 99 found for service "empty"');
    assert.equal(await rawError(`/api/v1/namespaces/${NS}/services/ghost/proxy/`), 'Error from server (NotFound): endpoints "ghost" not found');
  });

  it('forwards method, path, query and body, drops credentials and hop-by-hop headers', async () => {
    const base = `/api/v1/nodes/loopback-node:${backendPort}/proxy`;
    const r = await apiRequest(server, 'POST', `${base}/some/path%2Fx?a=1&b=two`, 'hello', {
      'content-type': 'text/plain', 'x-custom': 'kept', authorization: 'Basic c2VjcmV0', connection: 'x-drop', 'x-drop': 'gone',
    });
    assert.equal(r.status, 201, r.body);
    assert.equal(r.headers['x-backend'], 'echo');
    const echo = r.json<Echo>();
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/some/path%2Fx?a=1&b=two');
    assert.equal(echo.body, 'hello');
    assert.equal(echo.headers['x-custom'], 'kept');
    assert.equal(echo.headers.authorization, undefined);
    assert.equal(echo.headers['x-drop'], undefined);

    const del = await apiRequest(server, 'DELETE', `${base}/thing`);
    assert.equal(del.json<Echo>().method, 'DELETE');

    const redirect = await apiRequest(server, 'GET', `${base}/go-home`);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.location, `${base}/home?x=1`);

    const root = await apiRequest(server, 'GET', `${base}?q=1`);
    assert.equal(root.status, 301);
    assert.equal(root.headers.location, `${base}/?q=1`);
  });
});

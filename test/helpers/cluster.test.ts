/**
 * The e2e helpers against a real `skiff server`: readiness, client-certificate and token
 * authentication, the written kubeconfig with the real kubectl, restarts keeping the PKI.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startServer } from './cluster.js';
import type { TestServer } from './cluster.js';
import { apiRequest, kubectl, kubectlOk } from './kubectl.js';

function plainGet(server: TestServer, p: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    readFile(path.join(server.dataDir, 'tls', 'server-ca.crt'))
      .then((ca) => {
        const req = https.get({ host: '127.0.0.1', port: server.port, path: p, ca, headers, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      })
      .catch(reject);
  });
}

describe('skiff server child process', () => {
  let server: TestServer;
  let tokenDir: string;

  before(async () => {
    tokenDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-e2e-tokens-'));
    const tokens = path.join(tokenDir, 'tokens.csv');
    await writeFile(tokens, 'e2e-token,alice,u-1,"dev,ops"\n');
    server = await startServer({ args: ['--token-auth-file', tokens] });
  });
  after(async () => {
    await server?.cleanup();
    await rm(tokenDir, { recursive: true, force: true });
  });

  it('serves the open endpoints without credentials', async () => {
    for (const p of ['/healthz', '/livez', '/readyz', '/version']) assert.equal(await plainGet(server, p), 200, p);
  });

  it('answers 401 to anonymous API requests', async () => {
    assert.equal(await plainGet(server, '/api'), 401);
    assert.equal(await plainGet(server, '/api', { authorization: 'Bearer nope' }), 401);
  });

  it('accepts the admin client certificate', async () => {
    const res = await apiRequest(server, 'GET', '/api');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json<{ kind: string }>().kind, 'APIVersions');
  });

  it('the written kubeconfig works with the real kubectl', async () => {
    const out = await kubectlOk(server, ['get', '--raw', '/api']);
    assert.match(out, /APIVersions/);
    const ns = await kubectl(server, ['get', 'namespace', 'default', '-o', 'name']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal(ns.stdout.trim(), 'namespace/default');
  });

  it('static tokens authenticate', async () => {
    assert.equal(await plainGet(server, '/api', { authorization: 'Bearer e2e-token' }), 200);
    assert.equal(await plainGet(server, '/api', { authorization: 'Bearer wrong' }), 401);
  });

  it('restart and kill -9 keep the PKI, the port and the data', async () => {
    const caFile = path.join(server.dataDir, 'tls', 'server-ca.crt');
    const caBefore = await readFile(caFile, 'utf8');
    const pidBefore = server.pid;
    await server.restart();
    assert.notEqual(server.pid, pidBefore);
    assert.equal(await readFile(caFile, 'utf8'), caBefore);
    await kubectlOk(server, ['get', '--raw', '/api']);

    const exit = await server.kill9();
    assert.equal(exit.signal, 'SIGKILL');
    await server.restart();
    assert.equal(await readFile(caFile, 'utf8'), caBefore);
    const res = await apiRequest(server, 'GET', '/api/v1/namespaces/default');
    assert.equal(res.status, 200, res.body);
  });
});

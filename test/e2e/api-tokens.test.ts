/**
 * Service account tokens: `kubectl create token` (TokenRequest) gives a bearer token that
 * authenticates as the service account; expired-too-soon requests and unknown accounts fail as
 * upstream.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

describe('service account tokens', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.cleanup();
  });

  test('kubectl create token authenticates as the service account', async () => {
    await kubectlOk(server, ['create', 'serviceaccount', 'robot']);
    const token = (await kubectlOk(server, ['create', 'token', 'robot'])).trim();
    assert.equal(token.split('.').length, 3, token);
    const who = await kubectl(server, ['--kubeconfig', '/dev/null', '--server', server.url, '--insecure-skip-tls-verify', '--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout, 'system:serviceaccount:default:robot ["system:serviceaccounts","system:serviceaccounts:default","system:authenticated"]');
  });

  test('a tampered token is refused with 401', async () => {
    const token = (await kubectlOk(server, ['create', 'token', 'robot'])).trim();
    const bad = `${token.slice(0, -4)}AAAA`;
    const r = await kubectl(server, ['--kubeconfig', '/dev/null', '--server', server.url, '--insecure-skip-tls-verify', '--token', bad, 'get', 'ns']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unauthorized|provide credentials/);
  });

  test('too short a duration and unknown accounts are refused', async () => {
    const short = await kubectl(server, ['create', 'token', 'robot', '--duration=1m']);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /spec\.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/);
    const missing = await kubectl(server, ['create', 'token', 'nobody']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
  });
});

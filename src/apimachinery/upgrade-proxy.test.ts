import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isUpgradeResponse, parseResponseHead, readResponseHead, requestHead, upgradeHeaders } from './upgrade-proxy.js';

test('upgrade headers keep repeats and order, drop other headers and bearer-token sub-protocols', () => {
  const raw = [
    'Host', 'x', 'Authorization', 'Bearer secret', 'Connection', 'Upgrade', 'Upgrade', 'SPDY/3.1',
    'X-Stream-Protocol-Version', 'v4.channel.k8s.io', 'X-Stream-Protocol-Version', 'channel.k8s.io',
    'Sec-WebSocket-Protocol', 'v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.dG9r',
  ];
  assert.deepEqual(upgradeHeaders(raw), [
    ['Connection', 'Upgrade'], ['Upgrade', 'SPDY/3.1'], ['X-Stream-Protocol-Version', 'v4.channel.k8s.io'],
    ['X-Stream-Protocol-Version', 'channel.k8s.io'], ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io'],
  ]);
  assert.deepEqual(upgradeHeaders(['Sec-WebSocket-Protocol', 'base64url.bearer.authorization.k8s.io.dG9r']), []);
});

test('a request head is CRLF-separated and refuses header injection', () => {
  assert.equal(requestHead({ method: 'POST', path: '/portForward/a/b', host: 'h:1', headers: [['Upgrade', 'SPDY/3.1']] }),
    'POST /portForward/a/b HTTP/1.1\r\nHost: h:1\r\nUpgrade: SPDY/3.1\r\n\r\n');
  assert.throws(() => requestHead({ method: 'GET', path: '/', host: 'h', headers: [['X', 'a\r\nEvil: 1']] }), /line break/);
});

test('a response head is parsed once complete; bytes after it are kept', () => {
  assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\n')), undefined);
  const head = parseResponseHead(Buffer.concat([Buffer.from(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
  ), Buffer.from([0x80, 0x03])]));
  assert.ok(head);
  assert.equal(head.statusCode, 101);
  assert.equal(head.headers.get('x-stream-protocol-version'), 'portforward.k8s.io');
  assert.deepEqual([...head.rest], [0x80, 0x03]);
  assert.equal(isUpgradeResponse(head, 'SPDY/3.1'), true);
  assert.equal(isUpgradeResponse(head, 'websocket'), false);
  assert.throws(() => parseResponseHead(Buffer.from('garbage\r\n\r\n')), /malformed/);
});

test('readResponseHead collects chunks and fails when the backend hangs up first', async () => {
  const s = new PassThrough();
  const p = readResponseHead(s);
  s.write('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n');
  s.write('\r\npod does not exist');
  const head = await p;
  assert.equal(head.statusCode, 404);
  assert.equal(head.rest.toString(), 'pod does not exist');
  const t = new PassThrough();
  const q = readResponseHead(t);
  t.end('HTTP/1.1 200');
  await assert.rejects(q, /closed the connection/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { isTunnelingRequest, tunneledSpdyProtocols } from './pod-stream-tunnel.js';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers } as unknown as IncomingMessage);

test('only WebSocket upgrades offering SPDY/3.1+ sub-protocols are tunneled', () => {
  assert.equal(isTunnelingRequest(req({ upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' })), true);
  assert.equal(isTunnelingRequest(req({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.channel.k8s.io' })), false);
  assert.equal(isTunnelingRequest(req({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' })), false);
});

test('tunneled protocols lose the prefix; ones outside k8s.io are ignored', () => {
  assert.deepEqual(tunneledSpdyProtocols(['base64url.bearer.authorization.k8s.io.eA', 'SPDY/3.1+portforward.k8s.io', 'SPDY/3.1+other.example']),
    ['portforward.k8s.io']);
});

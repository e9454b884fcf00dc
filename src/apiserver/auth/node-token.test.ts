import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureNodeToken, nodeCredentialsMatch } from './node-token.js';
import { caCertHash, formatNodeToken, parseNodeToken } from '../../client/node-join.js';
import { parseKubeletCertsRequest } from '../node-join.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('the token round-trips and pins the CA hash', () => {
  const t = { caHash: caCertHash(CA), username: 'node', secret: 'abc123' };
  const text = formatNodeToken(t);
  assert.match(text, /^K10[0-9a-f]{64}::node:abc123$/);
  assert.deepEqual(parseNodeToken(`${text}\n`), t);
  assert.throws(() => parseNodeToken('abc123'), /not a Skiff node token/);
  assert.throws(() => parseNodeToken('K10abc::node:x'), /not a Skiff node token/);
});

test('ensureNodeToken keeps its secret across starts and writes the file 0600', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-token-'));
  try {
    const first = ensureNodeToken(dir, CA);
    const second = ensureNodeToken(dir, CA);
    assert.equal(second.text, first.text);
    assert.equal(readFileSync(first.path, 'utf8'), `${first.text}\n`);
    assert.equal(statSync(first.path).mode & 0o777, 0o600);
    assert.notEqual(ensureNodeToken(dir, `${CA}x`).caHash, first.caHash);
    assert.equal(nodeCredentialsMatch(first, 'node', first.secret), true);
    assert.equal(nodeCredentialsMatch(first, 'node', `${first.secret}x`), false);
    assert.equal(nodeCredentialsMatch(first, 'admin', first.secret), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kubelet certificate requests name a valid node and addresses', () => {
  assert.deepEqual(parseKubeletCertsRequest('{"nodeName":"n1","addresses":["127.0.0.1","n1.example"]}'),
    { nodeName: 'n1', addresses: ['127.0.0.1', 'n1.example'] });
  assert.match(String(parseKubeletCertsRequest('{"nodeName":"Bad_Name"}')), /DNS subdomain/);
  assert.match(String(parseKubeletCertsRequest('{"nodeName":"n1","addresses":["a b"]}')), /neither an IP/);
  assert.match(String(parseKubeletCertsRequest('nope')), /JSON/);
});

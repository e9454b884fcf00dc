import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCidrSet, parseIpv4Cidr } from './cidr-set.js';

test('hands out /24s of a /16 in order, first one first', () => {
  const set = createCidrSet('10.42.0.0/16', 24);
  assert.equal(set.capacity, 256);
  assert.equal(set.allocateNext(), '10.42.0.0/24');
  assert.equal(set.allocateNext(), '10.42.1.0/24');
  assert.equal(set.used(), 2);
});

test('occupied subnets are skipped; foreign or odd-sized CIDRs are refused', () => {
  const set = createCidrSet('10.42.0.0/16', 24);
  assert.equal(set.occupy('10.42.0.0/24'), true);
  assert.equal(set.occupy('10.42.1.0/24'), true);
  assert.equal(set.occupy('10.128.1.0/24'), false);
  assert.equal(set.occupy('10.42.2.0/25'), false);
  assert.equal(set.allocateNext(), '10.42.2.0/24');
});

test('a released subnet is reused only after the others (rotating candidate)', () => {
  const set = createCidrSet('10.9.0.0/22', 24);
  assert.equal(set.allocateNext(), '10.9.0.0/24');
  assert.equal(set.allocateNext(), '10.9.1.0/24');
  assert.equal(set.release('10.9.0.0/24'), true);
  assert.equal(set.allocateNext(), '10.9.2.0/24');
  assert.equal(set.allocateNext(), '10.9.3.0/24');
  assert.equal(set.allocateNext(), '10.9.0.0/24');
});

test('exhaustion returns undefined until something is released', () => {
  const set = createCidrSet('10.9.0.0/23', 24);
  assert.ok(set.allocateNext());
  assert.ok(set.allocateNext());
  assert.equal(set.allocateNext(), undefined);
  set.release('10.9.1.0/24');
  assert.equal(set.allocateNext(), '10.9.1.0/24');
  assert.equal(set.used(), 2);
});

test('the cluster CIDR is normalised and bad settings are rejected', () => {
  assert.equal(createCidrSet('10.42.7.1/16', 24).clusterCidr, '10.42.0.0/16');
  assert.throws(() => createCidrSet('fd00::/48', 64), /not an IPv4 CIDR/);
  assert.throws(() => createCidrSet('10.42.0.0/16', 8), /does not fit/);
  assert.deepEqual(parseIpv4Cidr('192.168.1.77/24'), { base: (192 * 2 ** 24) + (168 << 16) + (1 << 8), prefix: 24 });
  assert.equal(parseIpv4Cidr('300.1.1.1/8'), undefined);
});

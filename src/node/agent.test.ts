import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus, tmpdir } from 'node:os';
import { nodeCapacity, nodeInternalIp, osImage } from './agent.js';

test('osImage is PRETTY_NAME of os-release', () => {
  assert.equal(osImage('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'), 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(osImage('ID=x\n'), 'Unknown');
});

test('capacity has CPUs, memory, ephemeral storage and 110 pods; allocatable keeps the eviction reserve', () => {
  const { capacity, allocatable } = nodeCapacity(tmpdir());
  assert.equal(capacity.cpu, String(cpus().length));
  assert.equal(capacity.pods, '110');
  assert.match(capacity.memory ?? '', /^\d+Ki$/);
  assert.match(capacity['ephemeral-storage'] ?? '', /^[1-9]\d*Ki$/);
  assert.equal(parseInt(capacity.memory ?? '0', 10) - parseInt(allocatable.memory ?? '0', 10), 100 * 1024);
});

test('the InternalIP is an IPv4 address', () => {
  assert.match(nodeInternalIp(), /^\d+\.\d+\.\d+\.\d+$/);
});

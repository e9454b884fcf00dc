import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linuxContainerResources, milliCpuToQuota, milliCpuToShares } from './resources.js';
import { defaultPullPolicy, shouldPullImage, validImageName } from './pull-policy.js';

test('cpu and memory become cgroup settings as upstream computes them', () => {
  assert.equal(milliCpuToShares(0), 2);
  assert.equal(milliCpuToShares(1), 2);
  assert.equal(milliCpuToShares(250), 256);
  assert.equal(milliCpuToShares(1000), 1024);
  assert.equal(milliCpuToQuota(0), 0);
  assert.equal(milliCpuToQuota(5), 1000);
  assert.equal(milliCpuToQuota(250), 25_000);
  assert.deepEqual(linuxContainerResources({ requests: { cpu: '100m' }, limits: { cpu: '500m', memory: '64Mi' } }), {
    cpuShares: 102, cpuPeriod: 100_000, cpuQuota: 50_000, memoryLimitInBytes: 67_108_864,
  });
  assert.deepEqual(linuxContainerResources({ limits: { cpu: '2' } }), { cpuShares: 2048, cpuPeriod: 100_000, cpuQuota: 200_000 });
  assert.deepEqual(linuxContainerResources(undefined), { cpuShares: 2 });
  assert.equal(linuxContainerResources({ limits: { memory: '1G' } }).memoryLimitInBytes, 1e9);
});

test('pull policy: defaults and decisions', () => {
  assert.equal(defaultPullPolicy('busybox'), 'Always');
  assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
  assert.equal(defaultPullPolicy('busybox:1.35'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('localhost:5000/app'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/app:v1'), 'IfNotPresent');
  assert.equal(defaultPullPolicy(`busybox@sha256:${'a'.repeat(64)}`), 'IfNotPresent');
  assert.equal(shouldPullImage('Always', true), true);
  assert.equal(shouldPullImage('IfNotPresent', true), false);
  assert.equal(shouldPullImage('IfNotPresent', false), true);
  assert.equal(shouldPullImage('Never', false), false);
  assert.equal(validImageName('Busybox'), false);
  assert.equal(validImageName('127.0.0.1:5000/skiff/busybox:1.35'), true);
});

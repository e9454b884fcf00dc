import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Container, Pod, Secret, Service } from '../../apimachinery/generated/types.js';
import type { ObjectLookup } from './environment.js';
import { ContainerConfigError, makeEnvironment } from './environment.js';
import { containerResourceValue, formatMap, podFieldValue } from './field-path.js';
import { serviceEnvVars } from './service-env.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function lookupOf(objs: { cms?: ConfigMap[]; secrets?: Secret[]; services?: Service[] }): ObjectLookup & { calls: string[] } {
  const calls: string[] = [];
  const find = <T extends { metadata?: { namespace?: string; name?: string } }>(list: T[] | undefined, ns: string, name: string): T | undefined =>
    (list ?? []).find((o) => o.metadata?.namespace === ns && o.metadata?.name === name);
  return {
    calls,
    async configMap(ns, name) { calls.push(`cm ${ns}/${name}`); return find(objs.cms, ns, name); },
    async secret(ns, name) { calls.push(`secret ${ns}/${name}`); return find(objs.secrets, ns, name); },
    async services(ns) { calls.push(`svc ${ns}`); return (objs.services ?? []).filter((s) => s.metadata?.namespace === ns); },
  };
}

function svc(ns: string, name: string, ip: string, ports: { name?: string; port: number; protocol?: string }[]): Service {
  return { metadata: { namespace: ns, name }, spec: { clusterIP: ip, ports } };
}

const pod = (c: Container, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns1', uid: 'u-1', labels: { app: 'web', tier: 'x"y' }, annotations: { 'a/b': 'v' } },
  spec: { nodeName: 'node-1', serviceAccountName: 'sa', containers: [c], ...extra },
});
const facts = { podIPs: ['10.42.0.5', 'fd00::5'], hostIPs: ['192.168.1.2'] };
const allocatable = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };

const objects = {
  cms: [{ metadata: { namespace: 'ns1', name: 'cfg' }, data: { color: 'blue', 'bad key': 'x', '1st': 'y', size: 'L' } }],
  secrets: [{ metadata: { namespace: 'ns1', name: 'sec' }, data: { password: b64('s3cret'), 'in.valid?': b64('q') } }],
  services: [
    svc('ns1', 'my-db', '10.43.0.20', [{ name: 'sql', port: 5432 }, { name: 'metrics', port: 9090, protocol: 'UDP' }]),
    svc('ns1', 'headless', 'None', [{ port: 80 }]),
    svc('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443 }]),
    svc('default', 'other', '10.43.0.9', [{ port: 80 }]),
  ],
};

test('value, valueFrom, envFrom, expansion and service links', async () => {
  const warnings: string[] = [];
  const c: Container = {
    name: 'app', resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } },
    envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'sec' }, prefix: 'S_' }],
    env: [
      { name: 'A', value: 'a' },
      { name: 'B', value: '$(A)-$(C)-$$(A)-$(MY_DB_SERVICE_HOST)' },
      { name: 'C', value: 'c' },
      { name: 'COLOR', value: 'red $(color)' },
      { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'size' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
      { name: 'OPT', valueFrom: { secretKeyRef: { name: 'sec', key: 'nope', optional: true } } },
      { name: 'OPT2', valueFrom: { configMapKeyRef: { name: 'missing', key: 'nope', optional: true } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
    ],
  };
  const env = await makeEnvironment({ pod: pod(c), container: c, lookup: lookupOf(objects), facts, allocatable, onWarning: (r, m) => warnings.push(`${r}: ${m}`) });
  const m = new Map(env.map((e) => [e.name, e.value]));
  assert.equal(m.get('color'), 'blue');
  assert.equal(m.get('S_password'), 's3cret');
  assert.equal(m.get('B'), 'a-$(C)-$(A)-10.43.0.20');
  assert.equal(m.get('COLOR'), 'red blue');
  assert.equal(m.get('CM'), 'L');
  assert.equal(m.get('PW'), 's3cret');
  assert.equal(m.has('OPT'), false);
  assert.equal(m.has('OPT2'), false);
  assert.equal(m.get('NAME'), 'p');
  assert.equal(m.get('LABEL'), 'web');
  assert.equal(m.get('NODE'), 'node-1');
  assert.equal(m.get('IPS'), '10.42.0.5,fd00::5');
  assert.equal(m.get('HOST'), '192.168.1.2');
  assert.equal(m.get('MEM'), '128');
  assert.equal(m.get('CPU_LIMIT'), '4');
  assert.equal(m.get('CPU_REQ'), '250');
  assert.deepEqual(warnings, [
    'InvalidEnvironmentVariableNames: Keys [1st, bad key] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.',
    'InvalidEnvironmentVariableNames: Keys [S_in.valid?] from the EnvFrom secret ns1/sec were skipped since they are considered invalid environment variable names.',
  ]);
  assert.equal(m.get('MY_DB_SERVICE_HOST'), '10.43.0.20');
  assert.equal(m.get('MY_DB_SERVICE_PORT'), '5432');
  assert.equal(m.get('MY_DB_SERVICE_PORT_SQL'), '5432');
  assert.equal(m.get('MY_DB_SERVICE_PORT_METRICS'), '9090');
  assert.equal(m.get('MY_DB_PORT'), 'tcp://10.43.0.20:5432');
  assert.equal(m.get('MY_DB_PORT_9090_UDP_PROTO'), 'udp');
  assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal(m.get('KUBERNETES_PORT_443_TCP_ADDR'), '10.43.0.1');
  assert.equal(m.has('HEADLESS_SERVICE_HOST'), false);
  assert.equal(m.has('OTHER_SERVICE_HOST'), false, 'only master services come from default');
  // Declared variables come first, in order.
  assert.deepEqual(env.slice(0, 3).map((e) => e.name), ['color', 'size', 'S_password']);
});

test('enableServiceLinks false keeps only the kubernetes service', async () => {
  const c: Container = { name: 'app' };
  const env = await makeEnvironment({ pod: pod(c, { enableServiceLinks: false }), container: c, lookup: lookupOf(objects), facts, allocatable });
  assert.deepEqual(env.map((e) => e.name).filter((n) => n.endsWith('_SERVICE_HOST')), ['KUBERNETES_SERVICE_HOST']);
});

test('missing required sources fail with the kubelet messages', async () => {
  const cases: [Container['env'], Container['envFrom'], string][] = [
    [[{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } }], undefined, 'configmap "x" not found'],
    [[{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'y' } } }], undefined, "couldn't find key y in ConfigMap ns1/cfg"],
    [[{ name: 'X', valueFrom: { secretKeyRef: { name: 'x', key: 'y' } } }], undefined, 'secret "x" not found'],
    [[{ name: 'X', valueFrom: { secretKeyRef: { name: 'sec', key: 'y' } } }], undefined, "couldn't find key y in Secret ns1/sec"],
    [undefined, [{ configMapRef: { name: 'gone' } }], 'configmap "gone" not found'],
    [undefined, [{ secretRef: { name: 'gone' } }], 'secret "gone" not found'],
    [[{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }], undefined, 'unsupported fieldPath: spec.bogus'],
  ];
  for (const [env, envFrom, message] of cases) {
    const c: Container = { name: 'app', env, envFrom };
    await assert.rejects(makeEnvironment({ pod: pod(c), container: c, lookup: lookupOf(objects), facts, allocatable }),
      (err: unknown) => err instanceof ContainerConfigError && err.message === message);
  }
  const c: Container = { name: 'app', envFrom: [{ configMapRef: { name: 'gone', optional: true } }] };
  assert.ok(await makeEnvironment({ pod: pod(c), container: c, lookup: lookupOf(objects), facts, allocatable }));
});

test('field paths and resources', () => {
  const p = pod({ name: 'c' });
  assert.equal(podFieldValue(p, 'metadata.labels', facts), 'app="web"\ntier="x\\"y"');
  assert.equal(podFieldValue(p, "metadata.annotations['a/b']", facts), 'v');
  assert.equal(podFieldValue(p, "metadata.annotations['none']", facts), '');
  assert.equal(podFieldValue(p, 'metadata.uid', facts), 'u-1');
  assert.equal(podFieldValue(p, 'spec.serviceAccountName', facts), 'sa');
  assert.equal(formatMap({}), '');
  const c: Container = { name: 'c', resources: { limits: { cpu: '1500m', memory: '1G' }, requests: { memory: '100Mi' } } };
  assert.equal(containerResourceValue({ resource: 'limits.cpu' }, c), '2');
  assert.equal(containerResourceValue({ resource: 'limits.cpu', divisor: '1m' }, c), '1500');
  assert.equal(containerResourceValue({ resource: 'limits.memory', divisor: '1Mi' }, c), '954');
  assert.equal(containerResourceValue({ resource: 'requests.memory', divisor: '1Ki' }, c), '102400');
  assert.equal(containerResourceValue({ resource: 'requests.cpu' }, c), '0');
  assert.throws(() => containerResourceValue({ resource: 'limits.gpu' }, c), /unsupported container resource : limits.gpu/);
});

test('service variables for IPv6 cluster IPs', () => {
  const vars = serviceEnvVars([svc('x', 'v6', 'fd00::1', [{ port: 80 }])]);
  assert.equal(vars.find((v) => v.name === 'V6_PORT')?.value, 'tcp://[fd00::1]:80');
});

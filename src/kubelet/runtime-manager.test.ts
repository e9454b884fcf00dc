/**
 * The runtime manager's use of the environment, volumes and lifecycle hooks, on the simulated
 * runtime with the CreateContainer requests captured (what a CRI runtime would receive).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm as rmrf } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigMap, ObjectReference, Pod } from '../apimachinery/generated/types.js';
import { createBackoff } from './backoff.js';
import type { ObjectLookup } from './env/environment.js';
import type { HandlerRunner, HookRequest } from './lifecycle/handlers.js';
import { createProbeManager } from './prober/probe-manager.js';
import type { WaitingReason } from './pod-status.js';
import { createRuntimeManager } from './runtime-manager.js';
import type { CreateContainerRequest, RuntimeService } from './runtime/runtime.js';
import { createSimulatedRuntime } from './runtime/simulated.js';
import { createTimerQueue } from './timer-queue.js';
import { createVolumeManager } from './volumes/volume-manager.js';

interface Harness {
  created: CreateContainerRequest[];
  stops: { id: string; grace: number; at: number }[];
  events: string[];
  hooks: string[];
  cms: Map<string, ConfigMap>;
  root: string;
  rm: ReturnType<typeof createRuntimeManager>;
  close(): Promise<void>;
}

async function harness(hookResult: (req: HookRequest) => { ok: boolean; message: string } = () => ({ ok: true, message: '' })): Promise<Harness> {
  const timers = createTimerQueue();
  const sim = createSimulatedRuntime({ timers, podCidr: '10.42.0.0/24' });
  const created: CreateContainerRequest[] = [];
  const stops: Harness['stops'] = [];
  const hooks: string[] = [];
  const runtime: RuntimeService = {
    ...sim,
    async createContainer(req) {
      created.push(req);
      return sim.createContainer(req);
    },
    async stopContainer(id, grace) {
      stops.push({ id, grace, at: Date.now() });
      return sim.stopContainer(id, grace);
    },
  };
  const events: string[] = [];
  const recorder = { event: (_ref: ObjectReference, type: string, reason: string, message: string) => events.push(`${type} ${reason} ${message}`) };
  const cms = new Map<string, ConfigMap>();
  const lookup: ObjectLookup = { configMap: async (_n, name) => cms.get(name), secret: async () => undefined, services: async () => [] };
  const root = await mkdtemp(path.join(tmpdir(), 'skiff-rm-'));
  const volumes = createVolumeManager({ rootDir: root, lookup, timers, tmpfs: false, allocatable: () => ({ cpu: '2' }), facts: () => ({ podIPs: [], hostIPs: [] }) });
  const handlers: HandlerRunner = {
    async run(req) {
      hooks.push(`${req.container.name}:${req.handler.exec?.command?.join(' ') ?? 'other'}`);
      return hookResult(req);
    },
  };
  const probes = createProbeManager({
    timers, prober: sim.prober, containerFor: () => undefined, podIp: () => '', onResult: () => {}, onFailure: () => {},
  });
  const rm = createRuntimeManager({
    runtime, timers, backoff: createBackoff(), recorder, probes, nodeName: 'n1', lookup, allocatable: { cpu: '2', memory: '1Gi' },
    hostIPs: ['192.168.0.10'], volumes, handlers,
  });
  return {
    created, stops, events, hooks, cms, root, rm,
    async close() {
      volumes.stop();
      timers.close();
      await rmrf(root, { recursive: true, force: true });
    },
  };
}

function pod(extra: Partial<NonNullable<Pod['spec']>>, c: Partial<NonNullable<Pod['spec']>['containers'][number]> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-9' },
    spec: { containers: [{ name: 'app', image: 'busybox', ...c }], terminationGracePeriodSeconds: 30, ...extra },
  };
}

async function sync(h: Harness, p: Pod, reasons: Map<string, WaitingReason>): Promise<void> {
  const rs = await h.rm.podStatus(p.metadata!.uid!);
  await h.rm.syncPod(p, rs, reasons);
}

test('env, expanded command and volume mounts reach CreateContainer', async () => {
  const h = await harness();
  try {
    h.cms.set('cfg', { metadata: { name: 'cfg' }, data: { greeting: 'hello' } });
    const p = pod({ volumes: [{ name: 'conf', configMap: { name: 'cfg' } }] }, {
      command: ['sh', '-c', 'echo $(GREETING) $(NAME)'],
      env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      volumeMounts: [{ name: 'conf', mountPath: '/etc/conf' }],
    });
    await sync(h, p, new Map());
    assert.equal(h.created.length, 1);
    const cfg = h.created[0]!.config;
    assert.deepEqual(cfg.command, ['sh', '-c', 'echo hello web']);
    const env = new Map(cfg.envs.map((e) => [e.key, e.value]));
    assert.equal(env.get('GREETING'), 'hello');
    assert.match(env.get('IP') ?? '', /^10\.42\.0\.\d+$/);
    const dir = path.join(h.root, 'pods/uid-9/volumes/kubernetes.io~configmap/conf');
    const hosts = path.join(h.root, 'pods/uid-9/etc-hosts');
    assert.deepEqual(cfg.mounts, [{ containerPath: '/etc/conf', hostPath: dir, readonly: true }, { containerPath: '/etc/hosts', hostPath: hosts, readonly: false }]);
    assert.equal(await readFile(path.join(dir, 'greeting'), 'utf8'), 'hello');
    assert.match(await readFile(hosts, 'utf8'), new RegExp(`^# Kubernetes-managed hosts file\\.\\n[^]*\\n${env.get('IP') ?? '?'}\\t${p.metadata?.name ?? '?'}\\n$`));
    await h.rm.removePod('uid-9');
    await assert.rejects(readFile(path.join(dir, 'greeting')));
  } finally {
    await h.close();
  }
});

test('missing ConfigMap: CreateContainerConfigError; missing volume source: FailedMount and no sandbox', async () => {
  const h = await harness();
  try {
    const reasons = new Map<string, WaitingReason>();
    await sync(h, pod({}, { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }), reasons);
    assert.deepEqual(reasons.get('app'), { reason: 'CreateContainerConfigError', message: 'configmap "nope" not found' });
    assert.ok(h.events.includes('Warning Failed Error: configmap "nope" not found'));
    assert.equal(h.created.length, 0);

    const p2: Pod = { ...pod({ volumes: [{ name: 'v', configMap: { name: 'absent' } }] }), metadata: { name: 'w2', namespace: 'default', uid: 'uid-10' } };
    await sync(h, p2, new Map());
    assert.ok(h.events.includes('Warning FailedMount MountVolume.SetUp failed for volume "v" : configmap "absent" not found'));
    assert.equal((await h.rm.podStatus('uid-10')).sandboxes.length, 0);
  } finally {
    await h.close();
  }
});

test('postStart failure kills the container; preStop runs before the stop', async () => {
  const h = await harness((req) => (req.handler.exec?.command?.[0] === 'fail' ? { ok: false, message: 'hook broke' } : { ok: true, message: '' }));
  try {
    const reasons = new Map<string, WaitingReason>();
    const p = pod({}, { lifecycle: { postStart: { exec: { command: ['fail'] } }, preStop: { exec: { command: ['bye'] } } } });
    await sync(h, p, reasons);
    assert.ok(h.events.includes('Warning FailedPostStartHook PostStartHook failed'));
    assert.ok(h.events.includes('Normal Killing FailedPostStartHook'));
    assert.deepEqual(reasons.get('app'), { reason: 'PostStartHookError', message: 'hook broke' });
    assert.deepEqual(h.hooks, ['app:fail', 'app:bye']);
    assert.equal(h.stops.length, 1);
    assert.equal(h.stops[0]!.grace, 30);

    const ok = { ...pod({}, { lifecycle: { preStop: { exec: { command: ['bye'] } } } }), metadata: { name: 'w3', namespace: 'default', uid: 'uid-11' } };
    await sync(h, ok, new Map());
    h.hooks.length = 0;
    await h.rm.killPod(ok, await h.rm.podStatus('uid-11'), 30);
    assert.deepEqual(h.hooks, ['app:bye']);
    assert.equal(h.stops.at(-1)!.grace, 30);
  } finally {
    await h.close();
  }
});

test('an ephemeral container starts once in the running sandbox, sharing its target\'s process namespace', async () => {
  const h = await harness();
  try {
    const p = pod({});
    const reasons = new Map<string, WaitingReason>();
    await sync(h, p, reasons);
    const app = (await h.rm.podStatus('uid-9')).containers.find((c) => c.name === 'app')!;
    const withDebug: Pod = { ...p, spec: { ...p.spec!, ephemeralContainers: [{ name: 'dbg', image: 'busybox', targetContainerName: 'app', stdin: true, tty: true }] } };
    await sync(h, withDebug, reasons);
    const created = h.created.filter((r) => r.config.metadata.name === 'dbg');
    assert.equal(created.length, 1);
    const cfg = created[0]!.config as typeof created[0]['config'] & { linux?: { securityContext?: unknown } };
    assert.deepEqual(cfg.linux?.securityContext, { namespaceOptions: { network: 'POD', pid: 'TARGET', ipc: 'POD', targetId: app.id } });
    assert.equal(cfg.annotations['skiff.io/container-type'], 'ephemeral');
    // Every other container has a PID namespace of its own, as upstream without shareProcessNamespace.
    const appCfg = h.created.find((r) => r.config.metadata.name === 'app')!.config as typeof cfg;
    assert.deepEqual(appCfg.linux?.securityContext, { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } });
    assert.deepEqual([cfg.stdin, cfg.tty], [true, true]);
    assert.ok(h.events.includes('Normal Started Started container dbg'));
    // Once it exited it stays exited; the app container is not touched.
    const dbg = (await h.rm.podStatus('uid-9')).containers.find((c) => c.name === 'dbg')!;
    await h.rm.killPod({ ...withDebug, spec: { ...withDebug.spec!, containers: [] } }, { uid: 'uid-9', sandboxes: [], containers: [dbg] }, 2);
    await sync(h, withDebug, reasons);
    assert.equal(h.created.filter((r) => r.config.metadata.name === 'dbg').length, 1);
    assert.equal(h.created.filter((r) => r.config.metadata.name === 'app').length, 1);
  } finally {
    await h.close();
  }
});

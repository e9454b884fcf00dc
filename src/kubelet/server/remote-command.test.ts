import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { Container, ContainerFilter, ExecRequest, PodSandbox, PodSandboxFilter } from '../runtime/runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE } from '../runtime/runtime.js';
import type { SpdySession, SpdyStream } from '../streaming/spdy/session.js';
import type { TestStreamingServer } from '../streaming/spdy/test-streaming-server.js';
import { startTestStreamingServer } from '../streaming/spdy/test-streaming-server.js';
import { handleAttach, handleExec, remoteCommandOptions } from './remote-command.js';
import type { StreamingServerRuntime } from './upgrade-routes.js';

const podLabels = { [LABEL_POD_NAMESPACE]: 'default', [LABEL_POD_NAME]: 'web' };
const matches = (labels: Record<string, string>, sel: Record<string, string> | undefined): boolean =>
  Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);

let streaming: TestStreamingServer;
let unreachableUrl = '';
let kubelet: Server;
let base = '';
const execs: ExecRequest[] = [];
/** The fake runtime's streams per session, by stream type. */
const sessionStreams = new WeakMap<SpdySession, Map<string, SpdyStream>>();

/**
 * The fake runtime's "process": once error, stdin, stdout and stderr streams exist, it greets on
 * stdout and stderr, upper-cases stdin onto stdout until stdin's FIN, then reports exit code 7.
 */
function runFakeProcess(streams: Map<string, SpdyStream>): void {
  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  const stdin = streams.get('stdin');
  const error = streams.get('error');
  if (!stdout || !error) return;
  stdout.write('hello\n');
  stderr?.write('warn\n');
  const finish = (): void => {
    error.end(JSON.stringify({
      metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code', reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    }));
    stdout.end();
    stderr?.end();
  };
  if (!stdin) return finish();
  stdin.on('data', (c: Buffer) => stdout.write(c.toString().toUpperCase()));
  stdin.on('end', finish);
}

before(async () => {
  streaming = await startTestStreamingServer((s, session) => {
    let byType = sessionStreams.get(session);
    if (!byType) sessionStreams.set(session, byType = new Map());
    void s.reply().then(() => {
      byType.set(s.headers.streamtype?.[0] ?? '', s);
      const last = execs[execs.length - 1];
      const want = 1 + Number(last?.stdin) + Number(last?.stdout) + Number(last?.stderr) + Number(last?.tty);
      if (byType.size === want) runFakeProcess(byType);
    });
  });
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  unreachableUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/exec/x`;
  await new Promise<void>((resolve) => gone.close(() => resolve()));

  const sandbox: PodSandbox = {
    id: 'sb1', metadata: { name: 'web', namespace: 'default', uid: 'u1', attempt: 0 }, state: 'SANDBOX_READY', createdAt: 1,
    labels: podLabels, annotations: {}, runtimeHandler: '',
  };
  const container = (name: string): Container => ({
    id: `c-${name}`, podSandboxId: 'sb1', metadata: { name, attempt: 0 }, image: { image: 'busybox' }, imageRef: 'busybox',
    state: 'CONTAINER_RUNNING', createdAt: 2, labels: { ...podLabels, [LABEL_CONTAINER_NAME]: name }, annotations: {},
  });
  const runtime: StreamingServerRuntime = {
    listPodSandbox: (f?: PodSandboxFilter) => Promise.resolve([sandbox].filter((s) => matches(s.labels, f?.labelSelector))),
    listContainers: (f?: ContainerFilter) => Promise.resolve([container('app'), container('broken')].filter((c) => matches(c.labels, f?.labelSelector))),
    containerStatus: () => Promise.reject(new Error('not used')),
    exec: (req) => {
      execs.push(req);
      return Promise.resolve({ url: req.containerId === 'c-broken' ? unreachableUrl : streaming.url });
    },
    attach: (req) => {
      execs.push({ ...req, cmd: [] });
      return Promise.resolve({ url: streaming.url });
    },
  };
  kubelet = createServer();
  kubelet.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const [route, ...parts] = url.pathname.split('/').filter(Boolean);
    void (route === 'exec' ? handleExec : handleAttach)(req, socket, head, { runtime, parts, url });
  });
  await new Promise<void>((resolve) => kubelet.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(kubelet.address() as AddressInfo).port}`;
});

after(async () => {
  await streaming.close();
  await new Promise<void>((resolve) => kubelet.close(() => resolve()));
});

interface Session {
  protocol: string;
  messages: Buffer[];
  closeCode: number;
}

/** Connects like kubectl, sends `toSend` once open, and collects every message until the close. */
function session(path: string, protocols: string[], toSend: Buffer[] = []): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}${path}`, protocols);
    const messages: Buffer[] = [];
    ws.on('open', () => {
      for (const m of toSend) ws.send(m);
    });
    ws.on('message', (m: Buffer) => messages.push(m));
    ws.on('close', (closeCode) => resolve({ protocol: ws.protocol, messages, closeCode }));
    ws.on('error', reject);
  });
}

function channel(s: Session, n: number): string {
  return s.messages.filter((m) => m[0] === n).map((m) => m.subarray(1).toString()).join('');
}

test('v5: greeting, stdout and stderr apart, stdin until the close signal, the exit Status last, then a normal close', async () => {
  const s = await session('/exec/default/web/app?command=sh&stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io'], [
    Buffer.from([0, ...Buffer.from('abc\n')]), Buffer.from([255, 0]),
  ]);
  assert.equal(s.protocol, 'v5.channel.k8s.io');
  assert.deepEqual([...s.messages[0]!], [1], 'an empty stdout message first');
  assert.equal(channel(s, 1), 'hello\nABC\n');
  assert.equal(channel(s, 2), 'warn\n');
  const last = s.messages[s.messages.length - 1]!;
  assert.equal(last[0], 3);
  assert.equal(JSON.parse(last.subarray(1).toString()).details.causes[0].message, '7');
  assert.equal(s.closeCode, 1000);
  assert.deepEqual(execs[execs.length - 1], { containerId: 'c-app', cmd: ['sh'], stdin: true, stdout: true, stderr: true, tty: false });
});

test('v4 is spoken too; without stdin the command ends on its own', async () => {
  const s = await session('/exec/default/web/app?command=true&stdout=1&stderr=1', ['v4.channel.k8s.io']);
  assert.equal(s.protocol, 'v4.channel.k8s.io');
  assert.equal(channel(s, 1), 'hello\n');
  assert.match(channel(s, 3), /NonZeroExitCode/);
});

test('attach uses CRI Attach on the named container', async () => {
  const s = await session('/attach/default/web/app?stdout=1&stderr=1', ['v5.channel.k8s.io']);
  assert.equal(channel(s, 1), 'hello\n');
  assert.deepEqual(execs[execs.length - 1], { containerId: 'c-app', cmd: [], stdin: false, stdout: true, stderr: true, tty: false });
});

test('a runtime that cannot be reached gives a Failure Status on the error channel', async () => {
  const s = await session('/exec/default/web/broken?command=true&stdout=1', ['v5.channel.k8s.io']);
  const status = JSON.parse(channel(s, 3)) as { status: string; message: string };
  assert.equal(status.status, 'Failure');
  assert.match(status.message, /container runtime's streaming server/);
});

function plainUpgrade(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${base}${path}`, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', () => reject(new Error('unexpected upgrade')));
    req.on('error', reject);
    req.end();
  });
}

test('errors before the upgrade are plain HTTP answers with upstream\'s texts', async () => {
  assert.deepEqual(await plainUpgrade('/exec/default/nope/app?command=true&stdout=1'), { status: 404, body: 'pod does not exist' });
  assert.deepEqual(await plainUpgrade('/exec/default/web/other?command=true&stdout=1'), { status: 500, body: 'container not found ("other")' });
  assert.equal((await plainUpgrade('/exec/default/web/app?stdout=1')).status, 400);
  assert.equal((await plainUpgrade('/exec/default/web/app?command=true')).status, 400);
});

test('a terminal drops stderr, as upstream', () => {
  assert.deepEqual(remoteCommandOptions(new URLSearchParams('stdin=1&stdout=1&stderr=1&tty=1')), { stdin: true, stdout: true, stderr: false, tty: true });
});

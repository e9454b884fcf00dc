/**
 * `kubectl port-forward` end to end on the embedded agent with a real busybox httpd: to a pod,
 * through a Service (kubectl picks the pod and maps the Service port to the target port), and
 * with kubectl's WebSocket transport turned off (`KUBECTL_PORT_FORWARD_WEBSOCKETS=false`) so the
 * plain SPDY path is used. Every forward serves two requests in a row (two streams on one
 * connection). The path: kubectl → API server (WebSocket with tunneled SPDY translated to SPDY,
 * or SPDY proxied) → kubelet → containerd's streaming server → the pod's network namespace.
 *
 * Traffic stays on loopback (kubectl's local listener) and inside the pod's own network
 * namespace. kubectl children are killed by pid; teardown checks every container, sandbox,
 * network namespace, iptables chain, mount and the bridge are gone (node-agent-support.ts).
 * Needs root and the Debian packages the agent needs; it fails (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import path from 'node:path';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import { KUBECTL, kubectlHome } from '../helpers/kubectl.js';

const cluster = new AgentCluster(agentNetwork('pf', 150));
const children = new Set<ChildProcess>();
const WAIT_MS = 60_000;

const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && echo hello from the web pod > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
    - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
`;

interface Forward {
  localPort: number;
  /** kubectl's output so far (it runs with -v=4, so a fallback from WebSocket to SPDY shows). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `kubectl port-forward TARGET :PORT` and waits for its "Forwarding from 127.0.0.1:N" line. */
function portForward(target: string, remotePort: number, opts: { podPort?: number; env?: Record<string, string> } = {}): Promise<Forward> {
  const home = kubectlHome();
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUBE')) childEnv[k] = v;
  Object.assign(childEnv, { HOME: home, KUBECACHEDIR: path.join(home, '.kube', 'cache') }, opts.env);
  const child = spawn(KUBECTL, ['--kubeconfig', cluster.srv().kubeconfig, '-v=4', 'port-forward', target, `:${remotePort}`], {
    env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    await exited;
    children.delete(child);
  };
  let output = '';
  return new Promise<Forward>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`kubectl port-forward ${target} printed no "Forwarding from" line in ${WAIT_MS} ms:\n${output}`));
    }, WAIT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = /Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        assert.equal(Number(m[2]), opts.podPort ?? remotePort, output);
        resolve({ localPort: Number(m[1]), output: () => output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited (${code ?? signal}):\n${output}\n${cluster.srv().logs().slice(-3000)}`));
    });
  });
}

function httpGet(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('GET timed out')));
    req.on('error', reject);
  });
}

async function twoRequests(f: Forward): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const r = await httpGet(f.localPort);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'hello from the web pod\n');
  }
  assert.doesNotMatch(f.output(), /fallback to secondary dialer/, 'kubectl fell back from WebSocket to SPDY');
}

describe('node: kubectl port-forward through the API server and the kubelet', { timeout: 300_000 }, () => {
  before(async () => {
    await cluster.start(['--controllers', '*']);
    await cluster.apply(manifest);
    await cluster.waitPod('web', (p) => p.status?.phase === 'Running' && !!p.status.podIP, 90_000);
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    const problems = await cluster.teardown();
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('to a pod (WebSocket with tunneled SPDY, the kubectl 1.32 default)', async () => {
    const f = await portForward('pod/web', 8080);
    try {
      await twoRequests(f);
    } finally {
      await f.stop();
    }
  });

  test('through a Service: kubectl maps the Service port to the pod\'s target port', async () => {
    const f = await portForward('svc/web', 80, { podPort: 8080 });
    try {
      await twoRequests(f);
    } finally {
      await f.stop();
    }
  });

  test('over plain SPDY when kubectl\'s WebSocket transport is off', async () => {
    const f = await portForward('pod/web', 8080, { env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } });
    try {
      await twoRequests(f);
    } finally {
      await f.stop();
    }
  });

  test('a port nothing listens on in the pod: the local connection fails', async () => {
    const f = await portForward('pod/web', 9999);
    try {
      await assert.rejects(httpGet(f.localPort));
    } finally {
      await f.stop();
    }
  });
});

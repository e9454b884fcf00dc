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
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import { httpGetLoopback, killKubectlChildren, startKubectlChild } from '../helpers/kubectl-child.js';

const cluster = new AgentCluster(agentNetwork('pf', 150));
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

/** Starts `kubectl port-forward TARGET :PORT` (with -v=4, so a fallback from WebSocket to SPDY shows) and waits for its "Forwarding from 127.0.0.1:N" line. */
async function portForward(target: string, remotePort: number, opts: { podPort?: number; env?: Record<string, string> } = {}): Promise<Forward> {
  const child = await startKubectlChild(cluster.srv().kubeconfig, ['-v=4', 'port-forward', target, `:${remotePort}`],
    /Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/, { env: opts.env, waitMs: WAIT_MS, describeFailure: () => cluster.srv().logs().slice(-3000) });
  assert.equal(Number(child.match[2]), opts.podPort ?? remotePort, child.output());
  return { localPort: Number(child.match[1]), output: child.output, stop: child.stop };
}

async function twoRequests(f: Forward): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const r = await httpGetLoopback(f.localPort);
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
    killKubectlChildren();
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
      await assert.rejects(httpGetLoopback(f.localPort));
    } finally {
      await f.stop();
    }
  });
});

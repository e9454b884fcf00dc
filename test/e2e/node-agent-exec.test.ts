/**
 * `kubectl exec`, `kubectl attach` and `kubectl cp` end to end: the real kubectl speaks
 * WebSocket (v5.channel.k8s.io) to the API server, which hands the connection to the kubelet;
 * the kubelet relays to containerd's SPDY streaming server. Real busybox pods on the embedded
 * agent: output, exit codes, stdin EOF, SPDY clients (handed to containerd as they are), a terminal (through util-linux `script`, which gives
 * kubectl a pty) with its size, `-c` in a two-container pod, attach to a container's output and
 * to its stdin, and copying files both ways.
 *
 * Needs root and Debian's containerd, runc, containernetworking-plugins, busybox-static,
 * iptables, iproute2 and util-linux; it fails (never skips) without them. Teardown removes every
 * container, sandbox, network namespace, iptables chain, mount and the bridge it made.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentCluster, agentNetwork, busyboxPodYaml } from './node-agent-support.js';
import { KUBECTL, kubectl } from '../helpers/kubectl.js';
import { spawnKubectl, watchChild } from '../helpers/kubectl-child.js';

const cluster = new AgentCluster(agentNetwork('ex', 100));
let work = '';

/** A busybox container of the pod `two`. */
const twoContainer = (name: string): string => `  - name: ${name}
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
    env: [{ name: WHO, value: ${name}-container }]
`;

const PODS = [
  busyboxPodYaml('shell', 'sleep 3600'),
  busyboxPodYaml('printer', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done'),
  // A container whose stdin is open, for attach -i.
  busyboxPodYaml('reader', 'while read line; do echo got:$line; done').replace('    command:', '    stdin: true\n    command:'),
  `apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  terminationGracePeriodSeconds: 1
  containers:
${twoContainer('first')}${twoContainer('second')}`,
].join('---\n');

/** kubectl (or another program) as a child process of our own, for sessions the test ends itself (by pid). */
function startKubectl(args: string[], command = KUBECTL): ChildProcessWithoutNullStreams {
  return spawnKubectl(cluster.srv().kubeconfig, args, command);
}

describe('node: kubectl exec, attach and cp through the kubelet and containerd', { timeout: 400_000, concurrency: true }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'skiff-e2e-exec-'));
    await cluster.start(['--controllers', '*']);
    await cluster.apply(PODS);
    for (const name of ['shell', 'two', 'printer', 'reader']) await cluster.waitPod(name, (p) => p.status?.phase === 'Running', 120_000);
  });

  after(async () => {
    const problems = await cluster.teardown();
    if (work) rmSync(work, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('kubectl exec prints the command\'s output and exits 0', async () => {
    const r = await cluster.k(['exec', 'shell', '--', 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi\n');
  });

  test('stdout and stderr stay apart', async () => {
    const r = await cluster.k(['exec', 'shell', '--', 'sh', '-c', 'echo to-out; echo to-err >&2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'to-out\n');
    assert.match(r.stderr, /^to-err$/m);
  });

  test('a non-zero exit code comes back to kubectl', async () => {
    const r = await cluster.k(['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /command terminated with exit code 3/);
  });

  test('stdin reaches the command and its end (EOF) lets the command finish', async () => {
    const r = await cluster.k(['exec', '-i', 'shell', '--', 'cat'], 60_000, 'data\nmore data\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'data\nmore data\n');
  });

  test('a terminal session gets a pty of the client\'s size', async () => {
    // The size reaches the pty once the exec'd process runs (containerd applies resizes after
    // starting it, as with upstream's kubelet), so the command waits for it, up to a deadline.
    const wait = 'i=0; while [ "$(stty size 2>/dev/null)" != "33 111" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done';
    const inner = `stty rows 33 cols 111; ${KUBECTL} --kubeconfig ${cluster.srv().kubeconfig} exec -it shell -- sh -c '${wait}; tty; stty size'`;
    const child = startKubectl(['-qec', inner, '/dev/null'], 'script');
    const r = await watchChild(child, undefined, 60_000);
    child.stdin.end();
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
    assert.match(r.stdout, /^33 111\r?$/m);
  });

  test('kubectl without WebSockets (SPDY) reaches the runtime too', async () => {
    const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const r = await kubectl(cluster.srv(), ['exec', '-i', 'shell', '--', 'sh', '-c', 'cat; exit 4'], { env, input: 'over spdy\n' });
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, 'over spdy\n');
    assert.match(r.stderr, /command terminated with exit code 4/);
  });

  test('exec into a pod or container that is not there fails with upstream\'s message', async () => {
    const r = await cluster.k(['exec', 'no-such-pod', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "no-such-pod" not found/);
  });

  test('-c picks the container of a two-container pod', async () => {
    assert.equal(await cluster.ok(['exec', 'two', '-c', 'second', '--', 'sh', '-c', 'echo $WHO']), 'second-container\n');
    assert.equal(await cluster.ok(['exec', 'two', '-c', 'first', '--', 'sh', '-c', 'echo $WHO']), 'first-container\n');
    const r = await cluster.k(['exec', 'two', '-c', 'third', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /third/);
  });

  test('kubectl attach shows what the container prints', async () => {
    const r = await watchChild(startKubectl(['attach', 'printer']), /tick \d+\n/, 60_000);
    assert.equal(r.matched, true, `no output from attach: ${r.stderr}`);
  });

  test('kubectl attach -i feeds the container\'s stdin', async () => {
    const child = startKubectl(['attach', '-i', 'reader']);
    const result = watchChild(child, /got:hello-reader/, 60_000);
    // The attach session may take a moment to connect: say it until the container answers.
    const say = setInterval(() => child.stdin.write('hello-reader\n'), 500);
    const r = await result;
    clearInterval(say);
    assert.equal(r.matched, true, `no echo through attach -i: ${r.stdout}\n${r.stderr}`);
  });

  test('kubectl cp copies a file into the pod and one back out', async () => {
    const local = join(work, 'in.txt');
    const content = `copied in ${process.pid}\n${'x'.repeat(200_000)}\n`;
    writeFileSync(local, content);
    await cluster.ok(['cp', local, 'shell:/tmp/in.txt'], 60_000);
    assert.equal(await cluster.ok(['exec', 'shell', '--', 'cat', '/tmp/in.txt']), content);
    await cluster.ok(['exec', 'shell', '--', 'sh', '-c', 'seq 1 5000 > /tmp/out.txt']);
    const back = join(work, 'out.txt');
    await cluster.ok(['cp', 'shell:/tmp/out.txt', back], 60_000);
    const want = Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join('');
    assert.equal(readFileSync(back, 'utf8'), want);
  });

  test('kubectl cp of a file of several megabytes arrives whole', async () => {
    await cluster.ok(['exec', 'shell', '--', 'sh', '-c', 'head -c 6000000 /dev/urandom > /tmp/big.bin']);
    const sum = (await cluster.ok(['exec', 'shell', '--', 'sha256sum', '/tmp/big.bin'])).split(/\s+/)[0];
    const back = join(work, 'big.bin');
    await cluster.ok(['cp', 'shell:/tmp/big.bin', back], 120_000);
    assert.equal(createHash('sha256').update(readFileSync(back)).digest('hex'), sum);
  });
});

/**
 * The Kubernetes pod examples end to end on the embedded agent, with real busybox containers
 * (one server for the file, cases run concurrently): a liveness exec probe restarts its
 * container once the probed file is gone; a readiness probe gates Ready; a preStop exec hook
 * runs before the container stops (it writes to a hostPath under the test's temp dir); an init
 * container waiting for a file holds the app container back until the file exists; a Job's pod
 * (`restartPolicy: OnFailure`) runs to Succeeded and the Job completes; a ConfigMap mounted as a
 * volume changes inside the running container after `kubectl apply`; env from a Secret
 * (`secretKeyRef` and `envFrom`) reaches the process.
 *
 * Bridge, cluster CIDR, node name and kubelet port are this test's own; images are local
 * (`imagePullPolicy: IfNotPresent`). Teardown removes every container, sandbox, network
 * namespace, iptables chain, mount, the bridge and the temp dirs (see node-agent-support.ts).
 * Needs root and Debian's containerd, runc, containernetworking-plugins, busybox-static,
 * iptables and iproute2; it fails (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentCluster, agentNetwork } from './node-agent-support.js';

const cluster = new AgentCluster(agentNetwork('pd', 100));
let hostDir = '';

/** A pod manifest with one busybox container running `script`. */
function podYaml(name: string, script: string, extra: { container?: string; spec?: string; grace?: number } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: ${extra.grace ?? 2}
${extra.spec ?? ''}
  containers:
  - name: main
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(script)}]
${extra.container ?? ''}`;
}

async function eventReasons(name: string): Promise<string> {
  return cluster.ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`,
    '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
}

describe('node: the embedded agent runs the pod examples', { timeout: 300_000, concurrency: true }, () => {
  before(async () => {
    hostDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-pods-'));
    await cluster.start(['--controllers', '*']);
  });

  after(async () => {
    const problems = await cluster.teardown();
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('a liveness exec probe restarts the container once /tmp/healthy is gone', async () => {
    await cluster.apply(podYaml('liveness', 'touch /tmp/healthy; sleep 5; rm -f /tmp/healthy; sleep 600', {
      container: `    livenessProbe:
      exec:
        command: ["cat", "/tmp/healthy"]
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 2
`,
    }));
    await cluster.waitPod('liveness', (p) => p.status?.phase === 'Running');
    const p = await cluster.waitPod('liveness', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 60_000);
    assert.equal(p.status?.phase, 'Running');
    assert.match(await cluster.ok(['get', 'pod', 'liveness']), /^liveness\s+\d\/1\s+\S+\s+[1-9]\d*(\s|\s\(.*\)\s)/m);
    const reasons = await eventReasons('liveness');
    assert.match(reasons, /^Unhealthy$/m);
    assert.match(reasons, /^Killing$/m);
  });

  test('a readiness exec probe keeps the pod 0/1 until /tmp/ready exists, then 1/1', async () => {
    await cluster.apply(podYaml('readiness', 'sleep 5; touch /tmp/ready; sleep 600', {
      container: `    readinessProbe:
      exec:
        command: ["cat", "/tmp/ready"]
      periodSeconds: 1
`,
    }));
    await cluster.waitOutput(['get', 'pod', 'readiness'], /^readiness\s+0\/1\s+Running\s/m, 30_000);
    const notReady = await cluster.pod('readiness');
    assert.equal(notReady?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    await cluster.waitOutput(['get', 'pod', 'readiness'], /^readiness\s+1\/1\s+Running\s/m, 30_000);
    const ready = await cluster.pod('readiness');
    assert.equal(ready?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(ready?.status?.containerStatuses?.[0]?.restartCount, 0);
  });

  test('a preStop exec hook runs before the container stops', async () => {
    // Container, hook and the container's SIGTERM trap append to one file on a hostPath: the
    // order of the lines shows the hook ran before the container was told to stop.
    const dir = join(hostDir, 'prestop');
    const log = join(dir, 'log');
    await cluster.apply(podYaml('prestop', "trap 'echo term >> /host/log; exit 0' TERM; echo started >> /host/log; while true; do sleep 1; done", {
      grace: 20,
      container: `    lifecycle:
      preStop:
        exec:
          command: ["sh", "-c", "echo prestop >> /host/log"]
    volumeMounts:
    - name: host
      mountPath: /host
  volumes:
  - name: host
    hostPath:
      path: ${dir}
      type: DirectoryOrCreate
`,
    }));
    await cluster.waitPod('prestop', (p) => p.status?.phase === 'Running');
    const end = Date.now() + 20_000;
    while (!existsSync(log) && Date.now() < end) await sleep(200);
    assert.equal(existsSync(log) ? readFileSync(log, 'utf8') : '', 'started\n', 'the container wrote to the hostPath, the hook has not run');
    const t0 = Date.now();
    await cluster.ok(['delete', 'pod', 'prestop', '--wait=false']);
    await cluster.ok(['wait', '--for=delete', 'pod/prestop', '--timeout=60s'], 90_000);
    assert.equal(readFileSync(log, 'utf8'), 'started\nprestop\nterm\n');
    // The trap exits the container after SIGTERM: far sooner than the 20 s grace period.
    assert.ok(Date.now() - t0 < 15_000, `deletion took ${Date.now() - t0} ms`);
  });

  test('an init container waiting for a file holds the app container back until it exists', async () => {
    const dir = join(hostDir, 'gate');
    await cluster.apply(`apiVersion: v1
kind: Pod
metadata:
  name: gated
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: wait
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "until [ -f /gate/go ]; do sleep 1; done"]
    volumeMounts:
    - name: gate
      mountPath: /gate
  containers:
  - name: main
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo app started; sleep 600"]
  volumes:
  - name: gate
    hostPath:
      path: ${dir}
      type: DirectoryOrCreate
`);
    await cluster.waitOutput(['get', 'pod', 'gated'], /^gated\s+0\/1\s+Init:0\/1\s/m, 30_000);
    // Still held back a while later.
    await sleep(3_000);
    assert.match(await cluster.ok(['get', 'pod', 'gated']), /^gated\s+0\/1\s+Init:0\/1\s/m);
    const held = await cluster.pod('gated');
    assert.equal(held?.status?.phase, 'Pending');
    assert.ok(held?.status?.initContainerStatuses?.[0]?.state?.running, JSON.stringify(held?.status?.initContainerStatuses));
    writeFileSync(join(dir, 'go'), 'go\n');
    await cluster.waitOutput(['get', 'pod', 'gated'], /^gated\s+1\/1\s+Running\s/m, 30_000);
    const p = await cluster.pod('gated');
    assert.equal(p?.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.match(await cluster.waitOutput(['logs', 'gated', '-c', 'main'], /app started/, 20_000), /^app started\n/);
  });

  test('a Job with restartPolicy OnFailure runs its pod to Succeeded and completes', async () => {
    await cluster.apply(`apiVersion: batch/v1
kind: Job
metadata:
  name: onejob
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: main
        image: busybox:1.35
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "echo job done; exit 0"]
`);
    await cluster.waitOutput(['get', 'job', 'onejob', '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status}{"\\n"}{end}'],
      /^Complete=True$/m, 90_000);
    assert.equal(await cluster.ok(['get', 'job', 'onejob', '-o', 'jsonpath={.status.succeeded}']), '1');
    const pods = JSON.parse(await cluster.ok(['get', 'pods', '-l', 'job-name=onejob', '-o', 'json'])) as {
      items: { metadata: { name: string }; status?: { phase?: string } }[];
    };
    assert.equal(pods.items.length, 1);
    const [jobPod] = pods.items;
    assert.equal(jobPod?.status?.phase, 'Succeeded');
    assert.match(await cluster.ok(['get', 'pods', '-l', 'job-name=onejob']), /\s0\/1\s+Completed\s+0\s/);
    assert.equal(await cluster.ok(['logs', jobPod?.metadata.name ?? '']), 'job done\n');
  });

  test('a ConfigMap volume changes inside the running container after kubectl apply', async () => {
    const cm = (v: string): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: live-config
data:
  key: ${v}
`;
    await cluster.apply(cm('first-value'));
    await cluster.apply(podYaml('cfgwatch', 'while true; do echo "value=$(cat /cfg/key)"; sleep 1; done', {
      container: `    volumeMounts:
    - name: cfg
      mountPath: /cfg
  volumes:
  - name: cfg
    configMap:
      name: live-config
`,
    }));
    await cluster.waitPod('cfgwatch', (p) => p.status?.phase === 'Running');
    await cluster.waitOutput(['logs', 'cfgwatch', '--tail=2'], /^value=first-value$/m, 30_000);
    await cluster.apply(cm('second-value'));
    await cluster.waitOutput(['logs', 'cfgwatch', '--tail=2'], /^value=second-value$/m, 45_000);
    const p = await cluster.pod('cfgwatch');
    assert.equal(p?.status?.containerStatuses?.[0]?.restartCount, 0, 'the container was not restarted');
  });

  test('a static pod file in the manifest directory runs and shows up as a mirror pod', async () => {
    const dir = join(cluster.srv().dataDir, 'pod-manifests');
    const file = join(dir, 'static-web.yaml');
    // The agent may still be starting (it creates the directory too): make sure it exists.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, podYaml('static-web', 'echo static pod here; sleep 3600'));
    const mirror = `static-web-${cluster.net.node}`;
    try {
      const p = await cluster.waitPod(mirror, (q) => q.status?.phase === 'Running', 120_000);
      assert.ok(p.metadata.annotations?.['kubernetes.io/config.mirror'], 'the mirror pod carries kubernetes.io/config.mirror');
      await cluster.waitOutput(['logs', mirror], /static pod here/);
    } finally {
      rmSync(file, { force: true });
    }
    // Removing the file stops the pod and removes its mirror.
    const end = Date.now() + 90_000;
    while ((await cluster.k(['get', 'pod', mirror])).code === 0) {
      assert.ok(Date.now() < end, 'the mirror pod is still there after its manifest was removed');
      await sleep(500);
    }
  });

  test('env from a Secret (secretKeyRef and envFrom) reaches the process', async () => {
    await cluster.apply(`apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: s3cr3t-pw
  USERNAME: admin-user
`);
    await cluster.apply(podYaml('secretenv', 'echo "PASSWORD=$PASSWORD"; echo "USERNAME=$USERNAME"', {
      spec: '  restartPolicy: Never\n',
      container: `    env:
    - name: PASSWORD
      valueFrom:
        secretKeyRef:
          name: creds
          key: password
    envFrom:
    - secretRef:
        name: creds
`,
    }));
    await cluster.waitPod('secretenv', (p) => p.status?.phase === 'Succeeded');
    const logs = await cluster.ok(['logs', 'secretenv']);
    assert.equal(logs, 'PASSWORD=s3cr3t-pw\nUSERNAME=admin-user\n');
  });
});

/**
 * More pod behaviours from the notes, end to end on the embedded agent with real busybox
 * containers and the real kubectl (one server for the file, cases run concurrently): a startup
 * probe holds liveness and readiness back; httpGet and tcpSocket readiness probes against busybox
 * httpd; initialDelaySeconds; the events of a failing liveness probe; forced and graceful
 * deletion (the kubelet still kills the containers; a container ignoring SIGTERM dies after the
 * grace period); a projected volume (service account token, configMap, secret, downwardAPI),
 * secret modes, items and optional, a subPath mount that does not follow ConfigMap changes, and
 * an emptyDir of medium Memory on tmpfs.
 *
 * Bridge, cluster CIDR, node name and kubelet port are this test's own; images are local.
 * Teardown removes and checks everything the test made (node-agent-support.ts). Needs root and
 * the Debian packages; it fails (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCriClient } from '../../src/kubelet/runtime/cri/cri-client.js';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import { eventually } from '../helpers/eventually.js';

const cluster = new AgentCluster(agentNetwork('np', 200));

function pod(name: string, script: string, opts: { container?: string; spec?: string; grace?: number } = {}): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  terminationGracePeriodSeconds: ${opts.grace ?? 2}
${opts.spec ?? ''}  containers:
  - name: main
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(script)}]
${opts.container ?? ''}`;
}

function readyColumn(name: string, ready: string): RegExp {
  return new RegExp(`^${name}\\s+${ready}\\s+Running\\s`, 'm');
}

async function eventMessages(name: string): Promise<string> {
  return cluster.ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`,
    '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
}

/** The CRI states of the containers of the pod with this uid, from the test's containerd. */
async function criContainerStates(uid: string): Promise<string[]> {
  const client = createCriClient({ endpoint: cluster.containerdSocket, defaultTimeoutMs: 5_000 });
  try {
    const { containers } = await client.runtime('ListContainers', { filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } } });
    return containers.map((c) => String(c.state));
  } finally {
    client.close();
  }
}

describe('node: probes, deletion and volumes from the notes', { timeout: 420_000, concurrency: true }, () => {
  before(async () => {
    await cluster.start(['--controllers', '*']);
  });

  after(async () => {
    const problems = await cluster.teardown();
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('a startup probe holds liveness and readiness back until it passes; no restart while waiting', async () => {
    await cluster.apply(pod('slowstart', 'sleep 8; touch /tmp/started; sleep 3600', {
      container: `    startupProbe:
      exec:
        command: ["cat", "/tmp/started"]
      periodSeconds: 1
      failureThreshold: 60
    livenessProbe:
      exec:
        command: ["cat", "/tmp/started"]
      periodSeconds: 1
      failureThreshold: 1
    readinessProbe:
      exec:
        command: ["true"]
      periodSeconds: 1
`,
    }));
    await cluster.waitOutput(['get', 'pod', 'slowstart'], readyColumn('slowstart', '0/1'));
    const waiting = await cluster.pod('slowstart');
    const cs = waiting?.status?.containerStatuses?.[0] as { started?: boolean; restartCount?: number } | undefined;
    assert.equal(cs?.started, false, JSON.stringify(cs));
    await cluster.waitOutput(['get', 'pod', 'slowstart'], readyColumn('slowstart', '1/1'), 90_000);
    const p = await cluster.pod('slowstart');
    assert.equal(p?.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.doesNotMatch(await eventMessages('slowstart'), /^Killing:/m);
  });

  test('an httpGet readiness probe against busybox httpd makes the pod Ready once it serves', async () => {
    await cluster.apply(pod('httpready', 'mkdir -p /www; echo ok > /www/healthz; sleep 8; exec httpd -f -p 8080 -h /www', {
      container: `    readinessProbe:
      httpGet:
        path: /healthz
        port: 8080
      periodSeconds: 1
`,
    }));
    await cluster.waitOutput(['get', 'pod', 'httpready'], readyColumn('httpready', '0/1'));
    await cluster.waitOutput(['get', 'pod', 'httpready'], readyColumn('httpready', '1/1'), 60_000);
    assert.match(await eventMessages('httpready'), /^Unhealthy: Readiness probe failed: .*connection refused/m);
  });

  test('a tcpSocket readiness probe with initialDelaySeconds: not Ready before the delay, Ready after', async () => {
    await cluster.apply(pod('tcpready', 'mkdir -p /www; exec httpd -f -p 9000 -h /www', {
      container: `    readinessProbe:
      tcpSocket:
        port: 9000
      initialDelaySeconds: 8
      periodSeconds: 1
`,
    }));
    await cluster.waitOutput(['get', 'pod', 'tcpready'], readyColumn('tcpready', '0/1'));
    await cluster.waitOutput(['get', 'pod', 'tcpready'], readyColumn('tcpready', '1/1'), 60_000);
    assert.doesNotMatch(await eventMessages('tcpready'), /^Unhealthy:/m, 'the server listened before the first probe');
  });

  test('a readiness gate keeps the pod not Ready until its condition is set True through the status', async () => {
    await cluster.apply(pod('gated', 'sleep 3600', { spec: '  readinessGates:\n  - conditionType: example.com/feature-1\n' }));
    const wide = await cluster.waitOutput(['get', 'pod', 'gated', '-o', 'wide'], /^gated\s+1\/1\s+Running\s/m);
    assert.match(wide, /\s0\/1\n$/, 'READINESS GATES shows 0/1');
    const readyCond = async (): Promise<string> => cluster.ok(['get', 'pod', 'gated', '-o',
      'jsonpath={range .status.conditions[?(@.type=="Ready")]}{.status}|{.reason}|{.message}{end}']);
    assert.equal(await readyCond(), 'False|ReadinessGatesNotReady|corresponding condition of pod readiness gate "example.com/feature-1" does not exist.');
    await cluster.ok(['patch', 'pod', 'gated', '--subresource=status', '--type=json', '-p',
      JSON.stringify([{ op: 'add', path: '/status/conditions/-', value: { type: 'example.com/feature-1', status: 'True' } }])]);
    await cluster.waitOutput(['get', 'pod', 'gated', '-o', 'wide'], /\s1\/1\n$/);
    await eventually('the Ready condition to become True', async () => ((await readyCond()).startsWith('True|') ? true : undefined), 30_000, 500);
  });

  test('a failing liveness probe: Unhealthy event and "failed liveness probe, will be restarted"', async () => {
    await cluster.apply(pod('liveless', 'sleep 3600', {
      container: `    livenessProbe:
      exec:
        command: ["sh", "-c", "echo not healthy; exit 1"]
      periodSeconds: 1
      failureThreshold: 2
`,
    }));
    await cluster.waitPod('liveless', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 90_000);
    const events = await eventMessages('liveless');
    assert.match(events, /^Unhealthy: Liveness probe failed: not healthy$/m);
    assert.match(events, /^Killing: Container main failed liveness probe, will be restarted$/m);
  });

  test('kubectl delete --grace-period=0 --force removes the pod at once; the kubelet still kills its containers', async () => {
    await cluster.apply(pod('forced', 'sleep 3600', { grace: 30 }));
    const p = await cluster.waitPod('forced', (x) => x.status?.phase === 'Running');
    assert.deepEqual(await criContainerStates(p.metadata.uid), ['CONTAINER_RUNNING']);
    const r = await cluster.k(['delete', 'pod', 'forced', '--grace-period=0', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated\. The resource may continue to run on the cluster indefinitely\./);
    assert.equal(r.stdout, 'pod "forced" force deleted\n');
    const get = await cluster.k(['get', 'pod', 'forced']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /pods "forced" not found/);
    await eventually('the kubelet to kill and remove the containers of the deleted pod', async () => {
      const states = await criContainerStates(p.metadata.uid);
      return states.includes('CONTAINER_RUNNING') ? undefined : true;
    }, 60_000, 500);
  });

  test('a container ignoring SIGTERM is killed after terminationGracePeriodSeconds', async () => {
    await cluster.apply(pod('stubborn', "trap '' TERM; echo ignoring TERM; while true; do sleep 1; done", { grace: 10 }));
    const p = await cluster.waitPod('stubborn', (x) => x.status?.phase === 'Running');
    await cluster.waitOutput(['logs', 'stubborn'], /ignoring TERM/);
    await cluster.ok(['delete', 'pod', 'stubborn', '--wait=false']);
    await cluster.waitOutput(['get', 'pod', 'stubborn'], /^stubborn\s+1\/1\s+Terminating\s/m, 30_000);
    // Still running after SIGTERM (the shell ignores it): only the kill at the end of the grace period stops it.
    assert.ok((await criContainerStates(p.metadata.uid)).includes('CONTAINER_RUNNING'));
    await cluster.ok(['wait', '--for=delete', 'pod/stubborn', '--timeout=60s'], 90_000);
    assert.equal((await criContainerStates(p.metadata.uid)).includes('CONTAINER_RUNNING'), false);
  });

  test('a projected volume joins a service account token, a configMap, a secret and downwardAPI items', async () => {
    await cluster.apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: projcm
data:
  setting: from-configmap
---
apiVersion: v1
kind: Secret
metadata:
  name: projsecret
stringData:
  pass: from-secret
`);
    await cluster.apply(pod('projected', 'cd /proj; for f in cfg/setting sec/pass info/name info/labels; do echo "$f=$(cat $f)"; done; '
      + 'echo "token=$(cut -d. -f1 token | wc -c) $(tr -cd . < token | wc -c)"; ls /proj | sort | tr "\\n" " "; echo', {
      spec: '  restartPolicy: Never\n',
      container: `    volumeMounts:
    - name: all
      mountPath: /proj
  volumes:
  - name: all
    projected:
      sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3600
      - configMap:
          name: projcm
          items:
          - key: setting
            path: cfg/setting
      - secret:
          name: projsecret
          items:
          - key: pass
            path: sec/pass
      - downwardAPI:
          items:
          - path: info/name
            fieldRef:
              fieldPath: metadata.name
          - path: info/labels
            fieldRef:
              fieldPath: metadata.labels
`,
    }));
    await cluster.waitPod('projected', (x) => x.status?.phase === 'Succeeded');
    const logs = await cluster.ok(['logs', 'projected']);
    const lines = logs.split('\n');
    assert.deepEqual(lines.slice(0, 4), ['cfg/setting=from-configmap', 'sec/pass=from-secret', 'info/name=projected', 'info/labels=app="projected"']);
    // A JWT: a non-empty header and two dots.
    assert.match(lines[4] ?? '', /^token=[1-9]\d* 2$/);
    assert.equal(lines[5], 'cfg info sec token ');
  });

  test('secret volume defaultMode, items with their own mode, and an optional missing secret', async () => {
    await cluster.apply(`apiVersion: v1
kind: Secret
metadata:
  name: modesecret
stringData:
  a: alpha
  b: beta
`);
    await cluster.apply(pod('secmodes', 'stat -L -c "%n %a" /all/a /all/b /some/renamed; ls /some; echo "optional:$(ls /opt-missing | wc -l)"', {
      spec: '  restartPolicy: Never\n',
      container: `    volumeMounts:
    - name: all
      mountPath: /all
    - name: some
      mountPath: /some
    - name: missing
      mountPath: /opt-missing
  volumes:
  - name: all
    secret:
      secretName: modesecret
      defaultMode: 0400
  - name: some
    secret:
      secretName: modesecret
      items:
      - key: b
        path: renamed
        mode: 0600
  - name: missing
    secret:
      secretName: no-such-secret
      optional: true
`,
    }));
    await cluster.waitPod('secmodes', (x) => x.status?.phase === 'Succeeded');
    assert.equal(await cluster.ok(['logs', 'secmodes']), '/all/a 400\n/all/b 400\n/some/renamed 600\nrenamed\noptional:0\n');
  });

  test('a subPath mount of a ConfigMap key keeps its content when the ConfigMap changes; the full mount follows', async () => {
    const cm = (v: string): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: subcm
data:
  key: ${v}
`;
    await cluster.apply(cm('old-value'));
    await cluster.apply(pod('subpath', 'while true; do echo "full=$(cat /full/key) sub=$(cat /etc/app/key.conf)"; sleep 1; done', {
      container: `    volumeMounts:
    - name: cfg
      mountPath: /full
    - name: cfg
      mountPath: /etc/app/key.conf
      subPath: key
  volumes:
  - name: cfg
    configMap:
      name: subcm
`,
    }));
    await cluster.waitOutput(['logs', 'subpath', '--tail=1'], /^full=old-value sub=old-value$/m);
    await cluster.apply(cm('new-value'));
    await cluster.waitOutput(['logs', 'subpath', '--tail=1'], /^full=new-value sub=old-value$/m, 60_000);
  });

  test('an emptyDir with medium Memory is a tmpfs', async () => {
    await cluster.apply(pod('memdir', 'grep " /cache " /proc/mounts | cut -d" " -f1,3; echo data > /cache/f; cat /cache/f', {
      spec: '  restartPolicy: Never\n',
      container: `    volumeMounts:
    - name: cache
      mountPath: /cache
  volumes:
  - name: cache
    emptyDir:
      medium: Memory
      sizeLimit: 16Mi
`,
    }));
    await cluster.waitPod('memdir', (x) => x.status?.phase === 'Succeeded');
    assert.equal(await cluster.ok(['logs', 'memdir']), 'tmpfs tmpfs\ndata\n');
  });
});

/**
 * Pod behaviours from the notes, end to end on the embedded agent with real busybox containers
 * and the real kubectl (one server for the file, cases run concurrently): two containers of a
 * pod share the network namespace and an emptyDir, the hostname and the kubelet-managed
 * /etc/hosts (hostAliases, hostname/subdomain); init containers in the STATUS column
 * (`Init:0/2`, `Init:1/2`, `Init:Error`, `Init:CrashLoopBackOff`); the restart policies with the
 * crash-loop back-off; `$(VAR)` expansion, resourceFieldRef, fieldRef, optional and missing
 * configMap keys and envFrom prefixes.
 *
 * Bridge, cluster CIDR, node name and kubelet port are this test's own; images are local.
 * Teardown removes and checks every container, sandbox, network namespace, iptables chain,
 * mount, the bridge and the temp dirs (node-agent-support.ts). Needs root and the Debian
 * packages; it fails (never skips) without them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import type { ContainerStatusJson, PodJson } from './node-agent-support.js';

const cluster = new AgentCluster(agentNetwork('nt', 150));
let hostDir = '';

interface FullContainerStatus extends ContainerStatusJson {
  lastState?: { terminated?: { exitCode: number; reason?: string } };
  state?: ContainerStatusJson['state'] & { waiting?: { reason?: string; message?: string } };
}

function statusOf(p: PodJson, name: string, init = false): FullContainerStatus | undefined {
  const list = (init ? p.status?.initContainerStatuses : p.status?.containerStatuses) as FullContainerStatus[] | undefined;
  return list?.find((c) => c.name === name);
}

/** A busybox container (YAML list item at 2-space indent) running `script`. */
function container(name: string, script: string, extra = ''): string {
  return `  - name: ${name}
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(script)}]
${extra}`;
}

function pod(name: string, body: string, spec = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 2
${spec}${body}`;
}

/** `kubectl get pod NAME` shows STATUS `status` (regex source) in its row. */
function row(name: string, status: string): RegExp {
  return new RegExp(`^${name}\\s+\\d+/\\d+\\s+${status}\\s`, 'm');
}

describe('node: pod behaviours from the notes', { timeout: 420_000, concurrency: true }, () => {
  before(async () => {
    hostDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-notes-'));
    await cluster.start(['--controllers', '*']);
  });

  after(async () => {
    const problems = await cluster.teardown();
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('two containers share localhost and an emptyDir; hostname and /etc/hosts are the kubelet\'s', async () => {
    await cluster.apply(pod('duo', `  containers:
${container('web', 'mkdir -p /www && echo hello-from-web > /www/index.html && echo written-by-web > /shared/note && exec httpd -f -p 8080 -h /www', `    volumeMounts:
    - name: shared
      mountPath: /shared
`)}${container('client', 'until wget -qO- http://127.0.0.1:8080/ 2>/dev/null; do sleep 1; done; echo "note=$(cat /shared/note)"; echo "host=$(hostname)"; cat /etc/hosts; sleep 3600', `    volumeMounts:
    - name: shared
      mountPath: /shared
`)}  volumes:
  - name: shared
    emptyDir: {}
`, `  hostAliases:
  - ip: 10.1.2.3
    hostnames: ["foo.local", "bar.local"]
`));
    const p = await cluster.waitPod('duo', (x) => x.status?.phase === 'Running' && !!x.status.podIP);
    const logs = await cluster.waitOutput(['logs', 'duo', '-c', 'client'], /Entries added by HostAliases/, 60_000);
    const ip = p.status?.podIP ?? '';
    assert.match(logs, /^hello-from-web\nnote=written-by-web\nhost=duo\n# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
    assert.ok(logs.includes(`\n${ip}\tduo\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n`), logs);
  });

  test('spec.hostname and spec.subdomain set the hostname and the FQDN line of /etc/hosts', async () => {
    await cluster.apply(pod('named', `  containers:
${container('main', 'echo "host=$(hostname)"; cat /etc/hosts')}`, `  restartPolicy: Never
  hostname: myhost
  subdomain: mysub
`));
    const p = await cluster.waitPod('named', (x) => x.status?.phase === 'Succeeded');
    const logs = await cluster.ok(['logs', 'named']);
    assert.match(logs, /^host=myhost\n/);
    assert.ok(logs.includes(`\n${p.status?.podIP ?? '?'}\tmyhost.mysub.default.svc.cluster.local\tmyhost\n`), logs);
  });

  test('two init containers show Init:0/2, then Init:1/2, then the app runs', async () => {
    const gate = join(hostDir, 'gate2');
    const mount = `    volumeMounts:
    - name: gate
      mountPath: /gate
`;
    await cluster.apply(pod('twoinit', `  initContainers:
${container('first', 'until [ -f /gate/one ]; do sleep 1; done', mount)}${container('second', 'until [ -f /gate/two ]; do sleep 1; done', mount)}  containers:
${container('main', 'echo app; sleep 3600')}  volumes:
  - name: gate
    hostPath:
      path: ${gate}
      type: DirectoryOrCreate
`));
    await cluster.waitOutput(['get', 'pod', 'twoinit'], row('twoinit', 'Init:0/2'));
    writeFileSync(join(gate, 'one'), '');
    await cluster.waitOutput(['get', 'pod', 'twoinit'], row('twoinit', 'Init:1/2'));
    const mid = await cluster.pod('twoinit');
    assert.equal(mid?.status?.phase, 'Pending');
    assert.equal(statusOf(mid!, 'main')?.state?.waiting?.reason, 'PodInitializing');
    writeFileSync(join(gate, 'two'), '');
    await cluster.waitOutput(['get', 'pod', 'twoinit'], row('twoinit', 'Running'));
  });

  test('a failing init container with restartPolicy Never fails the pod: Init:Error', async () => {
    await cluster.apply(pod('initfail', `  initContainers:
${container('setup', 'echo setting up; exit 3')}  containers:
${container('main', 'echo app; sleep 3600')}`, '  restartPolicy: Never\n'));
    const p = await cluster.waitPod('initfail', (x) => x.status?.phase === 'Failed');
    const init = statusOf(p, 'setup', true);
    assert.equal(init?.state?.terminated?.exitCode, 3);
    assert.equal(init?.state?.terminated?.reason, 'Error');
    assert.equal(statusOf(p, 'main')?.state?.running, undefined, 'the app container never ran');
    assert.match(await cluster.ok(['get', 'pod', 'initfail']), row('initfail', 'Init:Error'));
  });

  test('a failing init container with restartPolicy Always backs off: Init:CrashLoopBackOff, the app never starts', async () => {
    await cluster.apply(pod('initloop', `  initContainers:
${container('setup', 'exit 1')}  containers:
${container('main', 'echo app; sleep 3600')}`));
    await cluster.waitOutput(['get', 'pod', 'initloop'], row('initloop', 'Init:CrashLoopBackOff'), 90_000);
    const p = await cluster.pod('initloop');
    assert.equal(p?.status?.phase, 'Pending');
    assert.ok((statusOf(p!, 'setup', true)?.restartCount ?? 0) >= 1);
    const main = statusOf(p!, 'main');
    assert.equal(main?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(main?.restartCount, 0);
    const logs = await cluster.k(['logs', 'initloop', '-c', 'main']);
    assert.notEqual(logs.code, 0, 'the app container has no logs: it never started');
  });

  test('restartPolicy Never: a failing container leaves the pod Failed with reason Error and its exit code', async () => {
    await cluster.apply(pod('never', `  containers:
${container('main', 'echo failing; exit 7')}`, '  restartPolicy: Never\n'));
    const p = await cluster.waitPod('never', (x) => x.status?.phase === 'Failed');
    const cs = statusOf(p, 'main');
    assert.equal(cs?.state?.terminated?.exitCode, 7);
    assert.equal(cs?.state?.terminated?.reason, 'Error');
    assert.equal(cs?.restartCount, 0);
    assert.match(await cluster.ok(['get', 'pod', 'never']), /^never\s+0\/1\s+Error\s+0\s/m);
  });

  test('restartPolicy OnFailure: the container restarts until it succeeds, then the pod Succeeded', async () => {
    await cluster.apply(pod('onfail', `  containers:
${container('main', 'if [ -f /work/tried ]; then echo second try works; exit 0; fi; touch /work/tried; echo first try fails; exit 4', `    volumeMounts:
    - name: work
      mountPath: /work
`)}  volumes:
  - name: work
    emptyDir: {}
`, '  restartPolicy: OnFailure\n'));
    const p = await cluster.waitPod('onfail', (x) => x.status?.phase === 'Succeeded', 90_000);
    const cs = statusOf(p, 'main');
    assert.equal(cs?.restartCount, 1);
    assert.equal(cs?.state?.terminated?.exitCode, 0);
    assert.equal(cs?.state?.terminated?.reason, 'Completed');
    assert.equal(cs?.lastState?.terminated?.exitCode, 4);
    assert.equal(cs?.lastState?.terminated?.reason, 'Error');
    assert.match(await cluster.ok(['get', 'pod', 'onfail']), /^onfail\s+0\/1\s+Completed\s+1 \(.+ ago\)\s/m);
    assert.equal(await cluster.ok(['logs', 'onfail']), 'second try works\n');
    assert.equal(await cluster.ok(['logs', 'onfail', '--previous']), 'first try fails\n');
  });

  test('restartPolicy Always: a crashing container goes into CrashLoopBackOff with the back-off event', async () => {
    await cluster.apply(pod('crashy', `  containers:
${container('main', 'echo crashing; exit 2')}`));
    await cluster.waitOutput(['get', 'pod', 'crashy'], /^crashy\s+0\/1\s+CrashLoopBackOff\s+[1-9]\d* \(.+ ago\)\s/m, 90_000);
    const p = await cluster.waitPod('crashy', (x) => (statusOf(x, 'main')?.restartCount ?? 0) >= 2, 120_000);
    assert.equal(p.status?.phase, 'Running');
    const cs = statusOf(p, 'main');
    assert.equal(cs?.lastState?.terminated?.exitCode, 2);
    assert.equal(cs?.lastState?.terminated?.reason, 'Error');
    const describe = await cluster.waitOutput(['describe', 'pod', 'crashy'], /Back-off restarting failed container main in pod crashy_default\(/);
    assert.match(describe, /Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+2\n/);
    assert.match(describe, /Restart Count:\s+[2-9]/);
  });

  test('$(VAR) expansion, resourceFieldRef, fieldRef, an optional missing key and envFrom with a prefix', async () => {
    await cluster.apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: envcm
data:
  color: blue
  size: large
`);
    const script = 'echo "arg0=$0"; echo "arg1=$1"; echo "arg2=$2"; echo "CPU_M=$CPU_M"; echo "MEM_MI=$MEM_MI"; echo "POD_IP=$POD_IP"; '
      + 'echo "NODE=$NODE"; echo "POD_UID=$POD_UID"; echo "OPT=${OPT-unset}"; echo "CM_color=$CM_color"; echo "CM_size=$CM_size"';
    await cluster.apply(pod('envpod', `  containers:
  - name: main
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(script)}, "$(GREETING)"]
    args: ["$(MSG)", "$$(GREETING)"]
    resources:
      limits:
        cpu: 250m
        memory: 64Mi
    env:
    - name: GREETING
      value: hello
    - name: MSG
      value: "$(GREETING) world"
    - name: CPU_M
      valueFrom:
        resourceFieldRef:
          resource: limits.cpu
          divisor: 1m
    - name: MEM_MI
      valueFrom:
        resourceFieldRef:
          containerName: main
          resource: limits.memory
          divisor: 1Mi
    - name: POD_IP
      valueFrom:
        fieldRef:
          fieldPath: status.podIP
    - name: NODE
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    - name: POD_UID
      valueFrom:
        fieldRef:
          fieldPath: metadata.uid
    - name: OPT
      valueFrom:
        configMapKeyRef:
          name: envcm
          key: nothere
          optional: true
    envFrom:
    - prefix: CM_
      configMapRef:
        name: envcm
`, '  restartPolicy: Never\n'));
    const p = await cluster.waitPod('envpod', (x) => x.status?.phase === 'Succeeded');
    assert.equal(await cluster.ok(['logs', 'envpod']), [
      'arg0=hello', 'arg1=hello world', 'arg2=$(GREETING)', 'CPU_M=250', 'MEM_MI=64', `POD_IP=${p.status?.podIP ?? '?'}`,
      `NODE=${cluster.net.node}`, `POD_UID=${p.metadata.uid}`, 'OPT=unset', 'CM_color=blue', 'CM_size=large', '',
    ].join('\n'));
  });

  test('a missing non-optional configMap key holds the container in CreateContainerConfigError', async () => {
    await cluster.apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: envcm2
data:
  present: yes-it-is
`);
    await cluster.apply(pod('envmissing', `  containers:
${container('main', 'echo "V=$V"; sleep 3600', `    env:
    - name: V
      valueFrom:
        configMapKeyRef:
          name: envcm2
          key: absent
`)}`));
    await cluster.waitOutput(['get', 'pod', 'envmissing'], row('envmissing', 'CreateContainerConfigError'));
    const p = await cluster.pod('envmissing');
    const cs = statusOf(p!, 'main');
    assert.equal(cs?.state?.waiting?.reason, 'CreateContainerConfigError');
    assert.equal(cs?.state?.waiting?.message, "couldn't find key absent in ConfigMap default/envcm2");
    const events = await cluster.ok(['get', 'events', '--field-selector', 'involvedObject.name=envmissing', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.match(events, /^Error: couldn't find key absent in ConfigMap default\/envcm2$/m);
  });
  test('the service account token is automounted: token, cluster CA and namespace; automount false opts out; every namespace gets kube-root-ca.crt', async () => {
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
    await cluster.apply(pod('satoken', `  containers:
${container('main', `ls ${dir}; echo "ns=$(cat ${dir}/namespace)"; echo "token=$(cat ${dir}/token)"; echo ca-begin; cat ${dir}/ca.crt; echo ca-end`)}`, '  restartPolicy: Never\n'));
    await cluster.apply(pod('satokenoff', `  containers:
${container('main', `ls ${dir} 2>&1 || echo absent`)}`, '  restartPolicy: Never\n  automountServiceAccountToken: false\n'));
    const p = await cluster.waitPod('satoken', (x) => x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed');
    assert.equal(p.status?.phase, 'Succeeded');
    const spec = (p as PodJson & { spec: { serviceAccountName?: string; serviceAccount?: string; volumes?: { name: string; projected?: unknown }[] } }).spec;
    assert.equal(spec.serviceAccountName, 'default');
    assert.equal(spec.serviceAccount, 'default');
    const vols = spec.volumes ?? [];
    assert.equal(vols.length, 1);
    assert.match(vols[0]!.name, /^kube-api-access-[a-z0-9]{5}$/);
    assert.ok(vols[0]!.projected);
    const logs = await cluster.ok(['logs', 'satoken']);
    assert.match(logs, /^ca\.crt\nnamespace\ntoken\nns=default\n/);
    assert.match(logs, /^token=[\w-]+\.[\w-]+\.[\w-]+$/m);
    const ca = logs.slice(logs.indexOf('ca-begin\n') + 'ca-begin\n'.length, logs.indexOf('ca-end'));
    const published = await cluster.ok(['get', 'cm', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}']);
    assert.match(published, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(ca.trim(), published.trim());

    const off = await cluster.waitPod('satokenoff', (x) => x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed');
    assert.equal((off as PodJson & { spec: { volumes?: unknown[] } }).spec.volumes, undefined);
    assert.match(await cluster.ok(['logs', 'satokenoff']), /absent/);

    await cluster.ok(['create', 'ns', 'rootca-e2e']);
    const desc = await cluster.waitOutput(['get', 'cm', 'kube-root-ca.crt', '-n', 'rootca-e2e', '-o', 'jsonpath={.metadata.annotations.kubernetes\\.io/description}'], /Contains a CA bundle/, 30_000);
    assert.match(desc, /kubernetes\.default\.svc/);
  });
});

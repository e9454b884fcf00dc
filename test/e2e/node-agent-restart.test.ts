/**
 * Restarting `skiff server` (embedded agent) leaves running containers alone and adopts them:
 * after SIGTERM and a new start on the same data dir, a running pod keeps its container id,
 * restartCount 0, pod IP and phase Running. A container that exited while the server was down is
 * handled once the node is back as upstream does: restartPolicy Always restarts it once
 * (restartCount 1, lastState terminated with its exit code); restartPolicy Never leaves it
 * terminated and the pod Failed.
 *
 * The containers learn that the server is down through a file in a hostPath directory the test
 * owns: they exit when `stop` appears, and on their next start they sleep instead. Teardown is
 * node-agent-support.ts's (no container, netns, mount, chain, bridge or data dir left behind).
 * Needs root and the Debian packages; fails, never skips, without.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentCluster, agentNetwork } from './node-agent-support.js';
import type { PodJson } from './node-agent-support.js';

const cluster = new AgentCluster(agentNetwork('rs', 200));
let hostDir = '';

function podYaml(name: string, restartPolicy: string, script: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 1
  volumes:
  - name: flags
    hostPath: { path: ${JSON.stringify(hostDir)}, type: Directory }
  containers:
  - name: main
    image: busybox:1.35
    imagePullPolicy: IfNotPresent
    volumeMounts: [{ name: flags, mountPath: /flags }]
    command: ["sh", "-c", ${JSON.stringify(script)}]
`;
}

/** Exits with `code` once /flags/stop exists, leaving /flags/<name>.exited; a later start sleeps. */
function exitOnStop(name: string, code: number): string {
  return `if [ -f /flags/${name}.exited ]; then exec sleep 3600; fi; `
    + `while [ ! -f /flags/stop ]; do sleep 0.2; done; touch /flags/${name}.exited; exit ${code}`;
}

const running = (p: PodJson): boolean => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running !== undefined;

describe('node: restarting skiff server adopts running containers', { timeout: 400_000 }, () => {
  before(async () => {
    hostDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-restart-'));
    await cluster.start();
  });

  after(async () => {
    const problems = await cluster.teardown();
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
    assert.deepEqual(problems, [], 'teardown left things behind');
  });

  test('running containers are adopted; ones that exited meanwhile follow their restartPolicy', async () => {
    await cluster.apply(podYaml('sleeper', 'Always', 'echo started; sleep 3600'));
    await cluster.apply(podYaml('exits-always', 'Always', exitOnStop('exits-always', 3)));
    await cluster.apply(podYaml('exits-never', 'Never', exitOnStop('exits-never', 4)));
    const before = new Map<string, PodJson>();
    for (const name of ['sleeper', 'exits-always', 'exits-never']) before.set(name, await cluster.waitPod(name, running, 120_000));

    await cluster.srv().stop('SIGTERM');
    writeFileSync(join(hostDir, 'stop'), '');
    for (const name of ['exits-always', 'exits-never']) {
      const end = Date.now() + 60_000;
      while (!existsSync(join(hostDir, `${name}.exited`))) {
        assert.ok(Date.now() < end, `${name} did not see the stop file while the server was down`);
        await sleep(200);
      }
    }
    await cluster.srv().restart({ timeoutMs: 120_000 });

    // A pod created after the restart runs only once the new kubelet syncs its pods.
    await cluster.apply(podYaml('after-restart', 'Always', 'sleep 3600'));
    await cluster.waitPod('after-restart', running, 120_000);

    const sleeper = await cluster.waitPod('sleeper', running, 60_000);
    const was = before.get('sleeper')!;
    assert.equal(sleeper.status?.containerStatuses?.[0]?.containerID, was.status?.containerStatuses?.[0]?.containerID);
    assert.equal(sleeper.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(sleeper.status?.podIP, was.status?.podIP);
    assert.equal(sleeper.metadata.uid, was.metadata.uid);

    const always = await cluster.waitPod('exits-always', (p) => running(p) && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 120_000);
    const alwaysStatus = always.status?.containerStatuses?.[0];
    assert.equal(alwaysStatus?.restartCount, 1);
    assert.equal(alwaysStatus?.lastState?.terminated?.exitCode, 3);
    assert.equal(always.status?.podIP, before.get('exits-always')!.status?.podIP);

    const never = await cluster.waitPod('exits-never', (p) => p.status?.phase === 'Failed', 120_000);
    assert.equal(never.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(never.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 4);

    // Still exactly one container per running pod: nothing was started twice.
    const sleeperAgain = await cluster.pod('sleeper');
    assert.equal(sleeperAgain?.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.match(await cluster.ok(['logs', 'sleeper']), /^started\n$/);
  });
});

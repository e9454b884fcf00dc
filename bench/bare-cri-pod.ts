/**
 * The pod startup benchmark's second baseline, the part of a pod's start that lies outside Skiff:
 * CRI RunPodSandbox (containerd's pause sandbox, the CNI bridge/host-local/portmap plugins) +
 * CreateContainer + StartContainer of the same busybox container, sent one after the other
 * through Skiff's own CRI runtime client straight to the node's containerd, with a sandbox and
 * container config shaped like the kubelet's (hostname, DNS, labels, log directory and path).
 * No API server, scheduler or kubelet is involved. Each bare pod is stopped and removed again.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createCriRuntime } from '../src/kubelet/runtime/cri/cri-runtime.js';
import type { CriRuntime } from '../src/kubelet/runtime/cri/cri-runtime.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../src/kubelet/runtime/runtime.js';
import type { PodSandboxConfig } from '../src/kubelet/runtime/runtime.js';

export interface BareCriPodTiming {
  /** RunPodSandbox, CreateContainer, StartContainer and their sum (ms). */
  sandboxMs: number;
  createMs: number;
  startMs: number;
  totalMs: number;
}

const NAMESPACE = 'skiff-bench-bare';

function sandboxConfig(name: string, uid: string): PodSandboxConfig {
  return {
    metadata: { name, namespace: NAMESPACE, uid, attempt: 0 },
    hostname: name,
    logDirectory: `/var/log/pods/${NAMESPACE}_${name}_${uid}`,
    dnsConfig: { servers: ['10.43.0.10'], searches: [`${NAMESPACE}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
    portMappings: [],
    labels: { [LABEL_POD_NAME]: name, [LABEL_POD_NAMESPACE]: NAMESPACE, [LABEL_POD_UID]: uid },
    annotations: {},
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
}

async function onePod(rt: CriRuntime, image: string, name: string): Promise<BareCriPodTiming> {
  const uid = randomUUID();
  const sbCfg = sandboxConfig(name, uid);
  let sandboxId = '';
  try {
    const t0 = performance.now();
    sandboxId = (await rt.runPodSandbox({ config: sbCfg })).podSandboxId;
    const t1 = performance.now();
    const { containerId } = await rt.createContainer({
      podSandboxId: sandboxId, sandboxConfig: sbCfg,
      config: {
        metadata: { name: 'c', attempt: 0 }, image: { image, userSpecifiedImage: image }, command: ['sleep', '3600'], args: [], workingDir: '',
        envs: [], mounts: [], labels: { ...sbCfg.labels, [LABEL_CONTAINER_NAME]: 'c' }, annotations: {}, logPath: 'c/0.log',
        stdin: false, stdinOnce: false, tty: false,
      },
    });
    const t2 = performance.now();
    await rt.startContainer(containerId);
    const t3 = performance.now();
    return { sandboxMs: t1 - t0, createMs: t2 - t1, startMs: t3 - t2, totalMs: t3 - t0 };
  } finally {
    if (sandboxId) {
      await rt.stopPodSandbox(sandboxId);
      await rt.removePodSandbox(sandboxId);
    }
    rmSync(sbCfg.logDirectory, { recursive: true, force: true });
  }
}

export interface BareCriPods {
  /** Starts one bare pod, times it, and removes it again. */
  run(): Promise<BareCriPodTiming>;
  close(): void;
}

/** Bare CRI pods on the containerd at `socket`, one at a time. */
export function bareCriPods(socket: string, image: string): BareCriPods {
  const rt = createCriRuntime({ endpoint: socket });
  let n = 0;
  return {
    run: () => onePod(rt, image, `bare-cri-${process.pid}-${n++}`),
    close: () => rt.close(),
  };
}

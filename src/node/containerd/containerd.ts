/**
 * Starts and stops the node's private containerd, as k3s does: config, root, state and socket under
 * `<data-dir>/containerd/`, its CRI plugin pointed at a CNI bridge for this node's pod CIDR and at a
 * locally built pause image. The daemon runs in its own process group (a Ctrl-C meant for Skiff
 * does not reach it) and is stopped by its pid; containers keep running through their shims and are
 * found again on the next start.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCriClient, isUnimplemented } from '../../kubelet/runtime/cri/cri-client.js';
import type { ContainerdPaths } from './config.js';
import {
  CNI_CONFLIST_NAME, DEFAULT_BRIDGE, DEFAULT_CNI_BIN_DIR, DEFAULT_NETWORK_NAME, DEFAULT_SANDBOX_IMAGE, containerdPaths, renderCniConflist,
  renderContainerdConfig,
} from './config.js';
import { CONTAINERD_REQUIREMENTS, checkRequirements, cniRequirements, findProgram } from './prerequisites.js';

export interface ContainerdOptions {
  /** Skiff's data dir; containerd lives in `<dataDir>/containerd`. */
  dataDir: string;
  /** This node's pod CIDR, e.g. `10.42.0.0/24`. */
  podCidr: string;
  /** Linux bridge for pods; default `skiff0`. */
  bridge?: string;
  /** CNI network name; default `skiff`. */
  networkName?: string;
  sandboxImage?: string;
  cniBinDir?: string;
  ipMasq?: boolean;
  /** runc's cgroup driver; default systemd only when systemd is PID 1. */
  systemdCgroup?: boolean;
  logLevel?: string;
  /** How long to wait for the CRI socket to answer; default 30 s. */
  readyTimeoutMs?: number;
}

export interface Containerd {
  readonly pid: number;
  readonly paths: ContainerdPaths;
  /** The socket path (CRI and containerd API). */
  readonly socket: string;
  /** `unix://<socket>`, for `--container-runtime-endpoint`-style settings. */
  readonly endpoint: string;
  /** Resolves with the exit code (or null when signalled) once the daemon has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 10 s). Idempotent. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Whether systemd is PID 1 (then runc should use the systemd cgroup driver, as the kubelet would). */
export function systemdIsInit(): boolean {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

/** CAP_SYS_RESOURCE (24) in this process's effective set: lowering oom_score_adj needs it. */
export function hasSysResourceCapability(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m?.[1] !== undefined && (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n;
  } catch {
    return true;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Resolves true when `p` settles within `ms`, false otherwise; the timer never holds the process open. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

/** A containerd left running by an earlier Skiff on this data dir (found by its pid file) is stopped. */
async function stopLeftover(paths: ContainerdPaths): Promise<void> {
  if (!existsSync(paths.pidFile)) return;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 1 && alive(pid) && cmdline(pid).includes(paths.config)) {
    process.kill(pid, 'SIGTERM');
    if (!(await waitGone(pid, 10_000))) {
      process.kill(pid, 'SIGKILL');
      await waitGone(pid, 5_000);
    }
  }
  rmSync(paths.pidFile, { force: true });
}

/** A free TCP port on loopback for the CRI streaming server (containerd 1.6 cannot report a port 0 choice). */
async function freeLoopbackPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Writes the config files (without starting anything); returns the paths. */
export async function writeContainerdFiles(opts: ContainerdOptions): Promise<ContainerdPaths> {
  const paths = containerdPaths(opts.dataDir);
  for (const d of [paths.base, paths.root, paths.state, paths.cniConfDir, paths.ipamDir, paths.registryConfigDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const cniBinDir = opts.cniBinDir ?? DEFAULT_CNI_BIN_DIR;
  writeFileSync(paths.config, renderContainerdConfig({
    paths, cniBinDir, sandboxImage: opts.sandboxImage ?? DEFAULT_SANDBOX_IMAGE,
    systemdCgroup: opts.systemdCgroup ?? systemdIsInit(), streamServerPort: await freeLoopbackPort(), logLevel: opts.logLevel,
    restrictOomScoreAdj: !hasSysResourceCapability(),
  }));
  writeFileSync(`${paths.cniConfDir}/${CNI_CONFLIST_NAME}`, renderCniConflist({
    networkName: opts.networkName ?? DEFAULT_NETWORK_NAME, bridge: opts.bridge ?? DEFAULT_BRIDGE, podCidr: opts.podCidr,
    ipamDir: paths.ipamDir, ipMasq: opts.ipMasq,
  }));
  return paths;
}

/**
 * Starts the private containerd and waits until its CRI service answers. Throws a
 * `MissingPackagesError` (naming the Debian packages) when containerd, runc or the CNI plugins are
 * missing, and an error with the end of containerd's log when it fails to come up.
 */
export async function startContainerd(opts: ContainerdOptions): Promise<Containerd> {
  if (process.getuid?.() !== 0) throw new Error('a real node needs root: containerd, runc and the CNI bridge manage namespaces, cgroups and mounts');
  const cniBinDir = opts.cniBinDir ?? DEFAULT_CNI_BIN_DIR;
  checkRequirements([...CONTAINERD_REQUIREMENTS, ...cniRequirements(cniBinDir)]);
  const paths = containerdPaths(opts.dataDir);
  mkdirSync(paths.base, { recursive: true, mode: 0o700 });
  await stopLeftover(paths);
  await writeContainerdFiles(opts);
  rmSync(paths.socket, { force: true });

  const binary = findProgram('containerd') ?? 'containerd';
  const extraPath = [dirname(findProgram('runc') ?? '/usr/sbin/runc'), dirname(findProgram('containerd-shim-runc-v2') ?? binary), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  const env = { ...process.env, PATH: [...(process.env.PATH ?? '').split(':').filter(Boolean), ...extraPath].join(':') };
  const logFd = openSync(paths.log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['--config', paths.config], { stdio: ['ignore', logFd, logFd], detached: true, env });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`cannot start ${binary}: ${err.message}`);
  }
  child.unref();
  writeFileSync(paths.pidFile, `${pid}\n`);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      if (exitCode === undefined && alive(pid)) {
        process.kill(pid, 'SIGTERM');
        const done = await within(exited, timeoutMs);
        if (!done && alive(pid)) {
          process.kill(pid, 'SIGKILL');
          await within(exited, 5_000);
        }
      }
      rmSync(paths.pidFile, { force: true });
    })();
    return stopping;
  };

  const timeout = opts.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeout;
  const client = createCriClient({ endpoint: paths.socket, defaultTimeoutMs: 2_000 });
  try {
    let lastError = '';
    for (;;) {
      if (exitCode !== undefined) throw new Error(`containerd exited (code ${exitCode}) before it was ready; end of ${paths.log}:\n${logTail(paths.log)}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`containerd did not answer on ${paths.socket} within ${timeout} ms (${lastError}); end of ${paths.log}:\n${logTail(paths.log)}`);
      }
      if (existsSync(paths.socket)) {
        try {
          await client.runtime('Version', { version: 'v1' });
          break;
        } catch (e) {
          if (isUnimplemented(e)) {
            await stop();
            throw new Error(`containerd is running but its CRI plugin did not load; end of ${paths.log}:\n${logTail(paths.log)}`);
          }
          lastError = e instanceof Error ? e.message : String(e);
        }
      }
      await sleep(100);
    }
  } finally {
    client.close();
  }
  return { pid, paths, socket: paths.socket, endpoint: `unix://${paths.socket}`, exited, stop };
}

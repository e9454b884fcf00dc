/**
 * Runs `skiff agent` as a child process for end-to-end tests: waits for its "node … ready" line
 * (or its exit), keeps a log tail, and stops it by pid (SIGTERM, SIGKILL after a grace period).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { REPO_ROOT, SKIFF_BIN } from '../helpers/cluster.js';
import type { ExitInfo } from '../helpers/cluster.js';

export interface AgentProcess {
  readonly dataDir: string;
  readonly pid: number;
  logs(): string;
  /** Resolves with the exit once the process is gone. */
  exited: Promise<ExitInfo>;
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

const LOG_TAIL = 64 * 1024;
const READY = /skiff agent: node \S+ ready/;

/** Starts `skiff agent ARGS --data-dir DATADIR`; with `waitReady` resolves after the ready line. */
export async function startAgentProcess(dataDir: string, args: string[], opts: { waitReady?: boolean; timeoutMs?: number } = {}): Promise<AgentProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SKIFF_') && !k.startsWith('NODE_TEST') && k !== 'KUBECONFIG') env[k] = v;
  const child: ChildProcess = spawn(process.execPath, [SKIFF_BIN, 'agent', '--data-dir', dataDir, ...args], {
    cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  let log = '';
  const append = (c: Buffer): void => {
    log = (log + c.toString()).slice(-LOG_TAIL);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exit: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', kill);
      exit = { code, signal };
      resolve(exit);
    });
  });
  const proc: AgentProcess = {
    dataDir,
    pid: child.pid ?? -1,
    logs: () => log,
    exited,
    async stop(signal = 'SIGTERM') {
      if (exit) return exit;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  if (opts.waitReady === false) return proc;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (!READY.test(log)) {
    if (exit) throw new Error(`skiff agent exited (${JSON.stringify(exit)}) before it was ready; log tail:\n${log.slice(-4000)}`);
    if (Date.now() > deadline) {
      await proc.stop('SIGKILL');
      throw new Error(`skiff agent not ready in time; log tail:\n${log.slice(-4000)}`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 200)), exited]);
  }
  return proc;
}

/**
 * A long-running kubectl child (`port-forward`, `proxy`, ...) for end-to-end tests: started with a
 * throwaway HOME and none of the caller's KUBE* variables, resolved once its output matches a
 * line the caller waits for, and stopped by its own pid. `killAll()` ends any still running (for
 * a suite's teardown). Also a plain HTTP GET on loopback for what such a child serves.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessWithoutNullStreams } from 'node:child_process';
import { get } from 'node:http';
import path from 'node:path';
import { KUBECTL, kubectlHome } from './kubectl.js';

export interface KubectlChild {
  /** The match of the awaited pattern. */
  match: RegExpExecArray;
  /** Everything the child printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

export function startKubectlChild(kubeconfig: string, args: string[], ready: RegExp,
  opts: { env?: Record<string, string>; waitMs?: number; describeFailure?: () => string } = {}): Promise<KubectlChild> {
  const home = kubectlHome();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUBE')) env[k] = v;
  Object.assign(env, { HOME: home, KUBECACHEDIR: path.join(home, '.kube', 'cache') }, opts.env);
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    await exited;
    running.delete(child);
  };
  const waitMs = opts.waitMs ?? 60_000;
  const what = `kubectl ${args.join(' ')}`;
  let output = '';
  return new Promise<KubectlChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${what} printed nothing matching ${ready} in ${waitMs} ms:\n${output}`));
    }, waitMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ match: m, output: () => output, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}):\n${output}${opts.describeFailure ? `\n${opts.describeFailure()}` : ''}`));
    });
  });
}

/**
 * kubectl (or `command` with `args` as they are) as a child with all three pipes, a throwaway
 * HOME and none of the caller's KUBE* variables; for sessions a test feeds and ends itself.
 */
export function spawnKubectl(kubeconfig: string, args: string[], command = KUBECTL): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUBE')) env[k] = v;
  env.HOME = kubectlHome();
  return spawn(command, command === KUBECTL ? ['--kubeconfig', kubeconfig, ...args] : args, { env, cwd: kubectlHome(), stdio: 'pipe' });
}

/** Collects a child's output until it exits or `until` matches stdout (then ends it by pid). */
export function watchChild(child: ChildProcessWithoutNullStreams, until: RegExp | undefined, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; matched: boolean }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let matched = false;
    const stop = (): void => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    };
    const timer = setTimeout(stop, timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (until && !matched && until.test(stdout)) {
        matched = true;
        stop();
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, matched });
    });
  });
}

/** Kills (SIGKILL, by pid) every kubectl child still running. */
export function killKubectlChildren(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
}

/** GET http://127.0.0.1:PORT/PATH without keep-alive. */
export function httpGetLoopback(port: number, p = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('GET timed out')));
    req.on('error', reject);
  });
}

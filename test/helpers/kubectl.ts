/**
 * Runs the real kubectl (`/usr/bin/kubectl`, or $SKIFF_KUBECTL) against a test server. Every call
 * gets `--kubeconfig <server's kubeconfig>` and a throw-away HOME (one per test process, removed
 * at exit) holding kubectl's discovery cache, so runs never read or pollute the user's ~/.kube.
 * A missing kubectl is an error, never a skip.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestServer } from './cluster.js';

export { apiRequest } from './cluster.js';
export type { ApiResponse, ServerRef } from './cluster.js';

export const KUBECTL = process.env.SKIFF_KUBECTL ?? '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (e.g. a manifest for `apply -f -`). */
  input?: string;
  env?: Record<string, string>;
  /** Kill kubectl after this long; default 60s. */
  timeoutMs?: number;
}

let home: string | undefined;

/** The per-process throw-away HOME (created on first use). */
export function kubectlHome(): string {
  if (home === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'skiff-kubectl-home-'));
    home = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return home;
}

export function kubectl(
  server: Pick<TestServer, 'kubeconfig'>,
  args: string[],
  opts: KubectlOptions = {},
): Promise<KubectlResult> {
  if (!existsSync(KUBECTL)) {
    return Promise.reject(new Error(`kubectl not found at ${KUBECTL}; end-to-end tests need it (set SKIFF_KUBECTL)`));
  }
  const dir = kubectlHome();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('KUBE')) env[k] = v;
  }
  Object.assign(env, { HOME: dir, KUBECACHEDIR: path.join(dir, '.kube', 'cache') }, opts.env);

  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['--kubeconfig', server.kubeconfig, ...args], {
      env,
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      stderr += `\n[kubectl killed after ${timeoutMs}ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {
      // kubectl may exit before reading all of its input; the exit code tells the story.
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like `kubectl`, but throws (with the command and its stderr) on a non-zero exit. */
export async function kubectlOk(
  server: Pick<TestServer, 'kubeconfig'>,
  args: string[],
  opts: KubectlOptions = {},
): Promise<string> {
  const res = await kubectl(server, args, opts);
  if (res.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${res.code}:\n${res.stderr}${res.stdout ? `\nstdout:\n${res.stdout}` : ''}`);
  }
  return res.stdout;
}

/**
 * Runs a real `skiff server` child process for end-to-end tests: temp data dir, free loopback
 * port, no embedded agent. `startServer` resolves once `/readyz` answers 200 and the kubeconfig
 * exists; a server that exits or never gets ready is an error carrying its log tail.
 *
 * Children still running when the test process exits are killed (SIGKILL) so a failing test
 * never leaves a server behind.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SKIFF_BIN = path.join(REPO_ROOT, 'bin', 'skiff');

const DEFAULT_START_TIMEOUT_MS = Number(process.env.SKIFF_TEST_START_TIMEOUT_MS ?? 60_000);
const STOP_GRACE_MS = 15_000;
const LOG_TAIL_BYTES = 64 * 1024;

export interface StartServerOptions {
  /** Extra `skiff server` arguments, appended after the helper's own. */
  args?: string[];
  /** Extra environment for the child (SKIFF_* variables of this process are not inherited). */
  env?: Record<string, string>;
  /** Use this data dir (kept by `cleanup()`); default a fresh temp dir (removed by `cleanup()`). */
  dataDir?: string;
  /** Listen on this port instead of a free one. */
  port?: number;
  /** How long to wait for `/readyz`; default 60s or $SKIFF_TEST_START_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Run the embedded node agent (real containerd) instead of passing `--disable-agent`. */
  agent?: boolean;
}

export interface TestServer {
  readonly port: number;
  readonly dataDir: string;
  /** `<dataDir>/kubeconfig.yaml` (or the `--write-kubeconfig` given in args), written by the server. */
  readonly kubeconfig: string;
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** pid of the current server process (changes on `restart()`). */
  readonly pid: number;
  /** The last 64 KiB of the current process's stdout and stderr. */
  logs(): string;
  /** Sends `signal` (default SIGTERM), waits for exit (SIGKILL after 15s); no-op when stopped. */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** SIGKILL, then waits for exit. */
  kill9(): Promise<ExitInfo>;
  /** Stops the server if running and starts it again on the same port and data dir. */
  restart(opts?: { timeoutMs?: number }): Promise<void>;
  /** Stops the server and removes the data dir when the helper created it. */
  cleanup(): Promise<void>;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Running {
  child: ChildProcess;
  exited: Promise<ExitInfo>;
  exit: ExitInfo | undefined;
  log: { text: string };
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SKIFF_') && k !== 'KUBECONFIG' && !k.startsWith('NODE_TEST')) env[k] = v;
  }
  return { ...env, ...extra };
}

function kubeconfigFlag(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--write-kubeconfig') return args[i + 1];
    if (a.startsWith('--write-kubeconfig=')) return a.slice('--write-kubeconfig='.length);
  }
  return undefined;
}

function appendTail(log: { text: string }, chunk: Buffer | string): void {
  log.text += chunk.toString();
  if (log.text.length > LOG_TAIL_BYTES) log.text = log.text.slice(-LOG_TAIL_BYTES);
}

export async function startServer(opts: StartServerOptions = {}): Promise<TestServer> {
  installExitHook();
  const ownDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'skiff-e2e-')));
  const port = opts.port ?? (await freePort());
  const kubeconfig = kubeconfigFlag(opts.args ?? []) ?? path.join(dataDir, 'kubeconfig.yaml');
  const url = `https://127.0.0.1:${port}`;
  const args = [
    SKIFF_BIN,
    'server',
    '--data-dir',
    dataDir,
    '--https-port',
    String(port),
    '--bind-address',
    '127.0.0.1',
    ...(opts.agent ? [] : ['--disable-agent']),
    ...(opts.args ?? []),
  ];

  let current: Running | undefined;

  function launch(): Running {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: childEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    const log = { text: '' };
    child.stdout?.on('data', (c: Buffer) => appendTail(log, c));
    child.stderr?.on('data', (c: Buffer) => appendTail(log, c));
    const running: Running = {
      child,
      log,
      exit: undefined,
      exited: new Promise<ExitInfo>((resolve) => {
        child.once('exit', (code, signal) => {
          live.delete(child);
          running.exit = { code, signal };
          resolve(running.exit);
        });
        child.once('error', (err) => {
          live.delete(child);
          appendTail(log, `spawn error: ${err.message}\n`);
          running.exit = { code: null, signal: null };
          resolve(running.exit);
        });
      }),
    };
    return running;
  }

  async function boot(timeoutMs: number): Promise<void> {
    await rm(kubeconfig, { force: true });
    const running = launch();
    current = running;
    try {
      await waitReady(running, url, kubeconfig, timeoutMs);
    } catch (err) {
      await stopRunning(running, 'SIGKILL');
      throw err;
    }
  }

  async function stopRunning(running: Running | undefined, signal: NodeJS.Signals): Promise<ExitInfo> {
    if (!running) return { code: null, signal: null };
    if (running.exit) return running.exit;
    running.child.kill(signal);
    const timer = setTimeout(() => running.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await running.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  await boot(opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);

  const server: TestServer = {
    port,
    dataDir,
    kubeconfig,
    url,
    get pid(): number {
      return current?.child.pid ?? -1;
    },
    logs: () => current?.log.text ?? '',
    stop: (signal = 'SIGTERM') => stopRunning(current, signal),
    kill9: () => stopRunning(current, 'SIGKILL'),
    async restart(o) {
      await stopRunning(current, 'SIGTERM');
      await boot(o?.timeoutMs ?? opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    },
    async cleanup() {
      await stopRunning(current, 'SIGTERM');
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

async function waitReady(running: Running, url: string, kubeconfig: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (running.exit) {
      const how = running.exit.signal ? `signal ${running.exit.signal}` : `code ${running.exit.code}`;
      throw new Error(`skiff server exited (${how}) before it was ready; log tail:\n${running.log.text.slice(-4000)}`);
    }
    try {
      const status = await probe(`${url}/readyz`);
      if (status === 200 && existsSync(kubeconfig)) return;
      lastProblem = status === 200 ? 'kubeconfig not written yet' : `/readyz answered ${status}`;
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 100)), running.exited]);
  }
  throw new Error(
    `skiff server not ready after ${timeoutMs}ms (${lastProblem}); log tail:\n${running.log.text.slice(-4000)}`,
  );
}

function probe(target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(target, { rejectUnauthorized: false, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** `JSON.parse(body)`; throws with the body when it is not JSON. */
  json<T = unknown>(): T;
}

/** Anything with a data dir whose `tls/` holds the admin credentials and a port. */
export type ServerRef = Pick<TestServer, 'dataDir' | 'port'>;

/**
 * One HTTPS request as `system:admin` (the admin client certificate from the data dir, verified
 * against the cluster CA). Objects are sent as JSON unless a content-type header says otherwise.
 */
export function apiRequest(
  server: ServerRef,
  method: string,
  requestPath: string,
  body?: unknown,
  headers: OutgoingHttpHeaders = {},
): Promise<ApiResponse> {
  const tls = path.join(server.dataDir, 'tls');
  const hdrs: OutgoingHttpHeaders = { accept: 'application/json', ...headers };
  let payload: Buffer | undefined;
  if (body !== undefined) {
    if (typeof body === 'string' || Buffer.isBuffer(body)) payload = Buffer.from(body);
    else payload = Buffer.from(JSON.stringify(body));
    if (!Object.keys(hdrs).some((h) => h.toLowerCase() === 'content-type')) hdrs['content-type'] = 'application/json';
    hdrs['content-length'] = payload.length;
  }
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path: requestPath,
        headers: hdrs,
        ca: readFileSync(path.join(tls, 'server-ca.crt')),
        cert: readFileSync(path.join(tls, 'client-admin.crt')),
        key: readFileSync(path.join(tls, 'client-admin.key')),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json<T>(): T {
              try {
                return JSON.parse(text) as T;
              } catch {
                throw new Error(`${method} ${requestPath}: response is not JSON (status ${res.statusCode}): ${text.slice(0, 500)}`);
              }
            },
          });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

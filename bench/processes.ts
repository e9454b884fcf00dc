/**
 * Spawning the processes under test: `bin/skiff server` on a fresh data dir and the bare-Node
 * HTTPS baseline. Readiness is polled with an HTTPS GET every 10 ms (new connection each time,
 * certificate not verified), timing spawn → first 200.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { killTree, onCleanup, removeDir } from './cleanup.js';
import { sleep } from './stats.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SKIFF_BIN = join(REPO_ROOT, 'bin', 'skiff');

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export function makeTempDir(prefix: string): { dir: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = onCleanup(() => removeDir(dir));
  return { dir, remove };
}

/** One HTTPS GET on a fresh connection; resolves with the status code, or undefined on error. */
function probe(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolveStatus) => {
    const req = request({
      host: '127.0.0.1', port, path, method: 'GET', rejectUnauthorized: false, agent: false, timeout: 2000,
    }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode));
      res.on('error', () => resolveStatus(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveStatus(undefined));
    req.end();
  });
}

export interface Spawned {
  pid: number;
  port: number;
  /** ms from spawn() to the first 200 answer. */
  readyMs: number;
  stderrTail(): string;
  /** SIGTERM, then SIGKILL to the whole group after `graceMs`; idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Our environment minus SKIFF_* settings (they would override the flags we pass), except SKIFF_FROM_SOURCE. */
function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SKIFF_') || k === 'SKIFF_FROM_SOURCE') env[k] = v;
  return env;
}

interface SpawnSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  port: number;
  path: string;
  timeoutMs: number;
  label: string;
}

async function spawnAndWait(spec: SpawnSpec): Promise<Spawned> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(spec.command, spec.args, {
    cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...inheritedEnv(), ...spec.env },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.label}: spawn failed`);
  let tail = '';
  child.stderr?.on('data', (c: Buffer) => { tail = (tail + c.toString()).slice(-4000); });
  let exited: number | string | null | undefined;
  const exitedP = new Promise<void>((r) => child.once('exit', (code, sig) => { exited = code ?? sig; r(); }));
  const stopNow = async (graceMs = 3000): Promise<void> => {
    if (exited !== undefined) return;
    killTree(pid, 'SIGTERM');
    const t = setTimeout(() => killTree(pid, 'SIGKILL'), graceMs);
    await exitedP;
    clearTimeout(t);
    killTree(pid, 'SIGKILL'); // any grandchild left in the group
  };
  const stop = onCleanup(() => stopNow(500));

  const deadline = t0 + spec.timeoutMs;
  for (;;) {
    const started = performance.now();
    const status = await probe(spec.port, spec.path);
    if (status === 200) break;
    if (exited !== undefined) {
      await stop();
      throw new Error(`${spec.label} exited (${String(exited)}) before answering 200 on ${spec.path}: ${tail}`);
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`${spec.label} did not answer 200 on ${spec.path} within ${spec.timeoutMs} ms (last status ${String(status)}): ${tail}`);
    }
    const wait = 10 - (performance.now() - started);
    if (wait > 0) await sleep(wait);
  }
  const readyMs = performance.now() - t0;
  return {
    pid, port: spec.port, readyMs, stderrTail: () => tail,
    stop: async (graceMs?: number) => { await stopNow(graceMs); await stop(); },
  };
}

export interface SkiffServer extends Spawned {
  dataDir: string;
  /** Removes the data dir (after stop). */
  removeDataDir(): Promise<void>;
}

export async function startSkiff(opts: { datastoreEndpoint?: string; timeoutMs?: number; extraArgs?: string[] } = {}): Promise<SkiffServer> {
  const tmp = makeTempDir('skiff-bench-');
  const port = await freePort();
  const args = ['server', '--data-dir', tmp.dir, '--https-port', String(port), '--bind-address', '127.0.0.1', '--disable-agent'];
  if (opts.datastoreEndpoint) args.push('--datastore-endpoint', opts.datastoreEndpoint);
  if (opts.extraArgs) args.push(...opts.extraArgs);
  try {
    const s = await spawnAndWait({ command: SKIFF_BIN, args, port, path: '/readyz', timeoutMs: opts.timeoutMs ?? 60_000, label: 'skiff server' });
    return { ...s, dataDir: tmp.dir, removeDataDir: tmp.remove };
  } catch (err) {
    await tmp.remove();
    throw err;
  }
}

/** The baseline: a bare `node -e` HTTPS server answering every request with 200. */
const BARE_SERVER = [
  "const https = require('https'), fs = require('fs');",
  'https.createServer({ key: fs.readFileSync(process.env.BENCH_KEY), cert: fs.readFileSync(process.env.BENCH_CERT) },',
  "  (req, res) => res.end('ok')).listen(Number(process.env.BENCH_PORT), '127.0.0.1');",
].join('\n');

export async function startBareNode(tls: { certFile: string; keyFile: string }): Promise<Spawned> {
  const port = await freePort();
  return spawnAndWait({
    command: process.execPath, args: ['-e', BARE_SERVER], port, path: '/readyz', timeoutMs: 20_000, label: 'bare node https',
    env: { BENCH_KEY: tls.keyFile, BENCH_CERT: tls.certFile, BENCH_PORT: String(port) },
  });
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ... ; comm may hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** VmRSS of `pid` and all its descendants (a wrapper script or a tsx loader may sit in between). */
export function treeRss(rootPid: number): { bytes: number; processes: number; rootBytes: number } {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  let bytes = 0;
  let processes = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop() as number;
    const rss = statusField(pid, 'VmRSS');
    if (rss !== undefined) { bytes += rss; processes++; }
    stack.push(...(children.get(pid) ?? []));
  }
  return { bytes, processes, rootBytes: statusField(rootPid, 'VmRSS') ?? 0 };
}

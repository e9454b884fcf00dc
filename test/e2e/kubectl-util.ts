/**
 * Small helpers shared by the kubectl end-to-end suites (test/e2e/kubectl-*.test.ts): reading
 * objects back as JSON, splitting kubectl's tables into cells, and running kubectl in the
 * background (for `get -w` and `wait`) so a test can read its output line by line.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import type { TestServer } from '../helpers/cluster.js';
import { REPO_ROOT } from '../helpers/cluster.js';
import { KUBECTL, kubectl, kubectlHome } from '../helpers/kubectl.js';
import type { KubectlResult } from '../helpers/kubectl.js';

export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks a dotted path (`metadata.labels.app`, `spec.containers.0.image`) through parsed JSON. */
export function at(v: Json | undefined, dotted: string): Json | undefined {
  let cur: Json | undefined = v;
  for (const part of dotted.split('.')) {
    if (cur === undefined || cur === null) return undefined;
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

export function describeResult(args: string[], r: KubectlResult): string {
  return `kubectl ${args.join(' ')} -> exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** `kubectl get <args> -o json`, parsed; fails the test (with kubectl's stderr) when it exits non-zero. */
export async function getJson(server: TestServer, args: string[]): Promise<JsonObject> {
  const full = ['get', ...args, '-o', 'json'];
  const r = await kubectl(server, full);
  if (r.code !== 0) throw new Error(describeResult(full, r));
  const parsed = JSON.parse(r.stdout) as Json;
  if (!isObject(parsed)) throw new Error(`not an object: ${r.stdout}`);
  return parsed;
}

export interface Table {
  header: string[];
  rows: string[][];
}

/**
 * Splits kubectl's column output. Column starts come from the header line; each cell is the text
 * between one column start and the next, trimmed, so empty cells stay empty.
 */
export function parseTable(stdout: string): Table {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { header: [], rows: [] };
  const headerLine = lines[0]!;
  const starts: number[] = [];
  const header: string[] = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(headerLine); m !== null; m = re.exec(headerLine)) {
    starts.push(m.index);
    header.push(m[0]);
  }
  const rows = lines.slice(1).map((line) =>
    starts.map((s, i) => line.slice(s, i + 1 < starts.length ? starts[i + 1] : undefined).trim()),
  );
  return { header, rows };
}

/** The row whose first cell is `name`, as header → cell. */
export function rowOf(table: Table, name: string): Record<string, string> | undefined {
  const row = table.rows.find((r) => r[0] === name);
  if (!row) return undefined;
  const out: Record<string, string> = {};
  table.header.forEach((h, i) => (out[h] = row[i] ?? ''));
  return out;
}

export interface Background {
  child: ChildProcessWithoutNullStreams;
  /** Everything kubectl printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the stdout lines once `pred` holds for them; rejects after `timeoutMs` or exit. */
  waitFor(pred: (lines: string[]) => boolean, what: string, timeoutMs?: number): Promise<string[]>;
  /** Like `waitFor`, on stderr (e.g. `-v=6` request logs). */
  waitForStderr(pred: (text: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once kubectl ends. */
  exited: Promise<number>;
  /** SIGKILL by pid (no-op once exited). */
  kill(): void;
}

/** Starts kubectl without waiting for it (same kubeconfig and throw-away HOME as `kubectl`). */
export function kubectlBackground(server: TestServer, args: string[]): Background {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUBE')) env[k] = v;
  const home = kubectlHome();
  env.HOME = home;
  env.KUBECACHEDIR = path.join(home, '.kube', 'cache');
  const child = spawn(KUBECTL, ['--kubeconfig', server.kubeconfig, ...args], { env, cwd: home, stdio: 'pipe' });
  child.stdin.end();
  let out = '';
  let err = '';
  let done = false;
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (const l of listeners) l();
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    for (const l of listeners) l();
  });
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      for (const l of listeners) l();
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  const lines = (): string[] => out.split('\n').filter((l) => l !== '');
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill() {
      if (!done && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    },
    waitFor(pred, what, timeoutMs) {
      return waitUntil(() => (pred(lines()) ? lines() : undefined), what, timeoutMs);
    },
    waitForStderr(pred, what, timeoutMs) {
      return waitUntil(() => (pred(err) ? err : undefined), what, timeoutMs);
    },
  };

  function waitUntil<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = probe();
        if (v !== undefined) {
          finish();
          resolve(v);
        } else if (done) {
          finish();
          reject(new Error(`kubectl ${args.join(' ')} exited before ${what}\nstdout:\n${out}\nstderr:\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what} from kubectl ${args.join(' ')}\nstdout:\n${out}\nstderr:\n${err}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  }
}

export interface Diagnostics {
  diagnostic(message: string): void;
}

/**
 * Runs `kubectl <args>` for a generator command (`create configmap`, `create secret …`,
 * `create deployment`, `create namespace`, …). kubectl 1.32 sends these objects as protobuf
 * (`Content-Type: application/vnd.kubernetes.protobuf`), so this is also the check that the server
 * decodes protobuf request bodies; the command's own result is returned, never a substitute.
 */
export async function createWithGenerator(server: TestServer, args: string[], t: Diagnostics): Promise<KubectlResult> {
  const r = await kubectl(server, args);
  if (r.code !== 0) t.diagnostic(describeResult(args, r));
  return r;
}

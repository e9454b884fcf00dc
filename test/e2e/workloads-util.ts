/**
 * Helpers shared by the workload end-to-end suites (test/e2e/workloads-*.test.ts): polling with a
 * deadline, a namespaced kubectl pair, waiting for Ready simulated nodes, and a parser for the
 * stream of JSON documents `kubectl get -w -o json` prints.
 */
import type { TestServer } from '../helpers/cluster.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import type { KubectlResult } from '../helpers/kubectl.js';
import { isObject, parseTable } from './kubectl-util.js';
import type { Json, JsonObject } from './kubectl-util.js';

/** Polls `fn` every 250 ms until it returns something other than undefined/false; throws with the last result at the deadline. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await sleep(250);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Namespaced {
  k(args: string[], input?: string): Promise<KubectlResult>;
  ok(args: string[], input?: string): Promise<string>;
  /** `kubectl get <args> -o json` in the namespace, parsed. */
  json(args: string[]): Promise<JsonObject>;
  /** `kubectl apply -f -` of these objects (as a v1 List). */
  apply(...objects: JsonObject[]): Promise<string>;
}

export function namespaced(server: () => TestServer, ns: string): Namespaced {
  const n = {
    k: (args: string[], input?: string) => kubectl(server(), ['-n', ns, ...args], { input }),
    ok: (args: string[], input?: string) => kubectlOk(server(), ['-n', ns, ...args], { input }),
    async json(args: string[]): Promise<JsonObject> {
      const parsed = JSON.parse(await kubectlOk(server(), ['-n', ns, 'get', ...args, '-o', 'json'])) as Json;
      if (!isObject(parsed)) throw new Error('kubectl get -o json printed no object');
      return parsed;
    },
    apply: (...objects: JsonObject[]) =>
      kubectlOk(server(), ['-n', ns, 'apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) }),
  };
  return n;
}

/** Waits until `kubectl get nodes` lists `count` nodes, all Ready. */
export async function readyNodes(server: TestServer, count: number, timeoutMs = 60_000): Promise<string[]> {
  return until(`${count} Ready nodes`, async () => {
    const t = parseTable(await kubectlOk(server, ['get', 'nodes']));
    if (t.rows.length !== count || !t.rows.every((r) => r[1] === 'Ready')) return undefined;
    return t.rows.map((r) => r[0]!);
  }, timeoutMs);
}

/**
 * Splits concatenated JSON documents (what `kubectl get -w -o json` prints) as they arrive;
 * `push` returns the documents completed by this chunk.
 */
export function createJsonStreamParser(): { push(chunk: string): JsonObject[] } {
  let buf = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let scanned = 0;
  return {
    push(chunk) {
      buf += chunk;
      const out: JsonObject[] = [];
      for (let i = scanned; i < buf.length; i++) {
        const c = buf[i];
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
          continue;
        }
        if (c === '"') inString = true;
        else if (c === '{') {
          if (depth === 0) start = i;
          depth++;
        } else if (c === '}') {
          depth--;
          if (depth === 0 && start >= 0) {
            const doc = JSON.parse(buf.slice(start, i + 1)) as Json;
            if (isObject(doc)) out.push(doc);
            start = -1;
          }
        }
      }
      if (depth === 0) {
        buf = '';
        scanned = 0;
      } else {
        buf = buf.slice(start);
        scanned = buf.length;
        start = 0;
      }
      return out;
    },
  };
}

/** `metadata.name` of each item of a `kubectl get -o json` list. */
export function itemNames(list: JsonObject): string[] {
  const items = list.items;
  if (!Array.isArray(items)) return [];
  return items.filter(isObject).map((i) => {
    const md = i.metadata;
    return isObject(md) && typeof md.name === 'string' ? md.name : '';
  });
}

export function items(list: JsonObject): JsonObject[] {
  return Array.isArray(list.items) ? list.items.filter(isObject) : [];
}

/**
 * Simulated-node start-up: spawns `bin/skiff server --simulated-nodes N` on a fresh data dir and
 * times how long it takes until all N Node objects report Ready=True, from spawn and from the
 * server's first 200 on /readyz (KWOK's CI bar: 2,000 nodes in 120 s). The nodes are observed
 * with list + watch on /api/v1/nodes from the bench process, like any client would.
 */
import { performance } from 'node:perf_hooks';
import { ApiClient } from './api-client.js';
import type { WatchLine, WatchStream } from './api-client.js';
import { startSkiff, treeRss } from './processes.js';
import type { SkiffServer } from './processes.js';
import { sleep } from './stats.js';

export interface NodesOptions {
  nodes: number;
  capacity: string;
  concurrency: number;
  /** Give up waiting for Ready nodes after this long (ms from readyz). */
  timeoutMs: number;
  log: (msg: string) => void;
}

export interface NodesResult {
  nodes: number;
  capacity: string;
  /** spawn → first 200 on /readyz. */
  readyzMs: number;
  /** spawn → all nodes Ready=True. */
  allReadyFromSpawnMs: number;
  /** /readyz → all nodes Ready=True. */
  allReadyFromReadyzMs: number;
  /** /readyz → half of the nodes Ready. */
  halfReadyFromReadyzMs: number;
  /** Ready nodes per second between /readyz and the last one. */
  nodesPerSec: number;
  /** Nodes seen Ready when the wait ended (== nodes unless it timed out). */
  readyNodes: number;
  /** VmRSS of the server process tree once every node is Ready (and 5 s later). */
  rssBytes: number;
}

interface ListBody<T> { metadata?: { resourceVersion?: string }; items?: T[] }

/**
 * A list + watch of one collection that survives the watch ending (re-lists and watches again).
 * `onObject` sees every listed object and every ADDED/MODIFIED one; `onDeleted` the DELETED ones.
 */
export class CollectionWatcher<T extends { metadata?: { name?: string } }> {
  private stream?: WatchStream;
  private closed = false;
  private readonly running: Promise<void>;
  private markStarted: () => void = () => {};
  /** Resolves once the first list was applied and the watch is open. */
  readonly started: Promise<void>;
  lastError?: string;

  constructor(
    private readonly client: ApiClient,
    private readonly path: string,
    private readonly onObject: (obj: T, at: number) => void,
    private readonly onDeleted: (obj: T, at: number) => void = () => {},
  ) {
    this.started = new Promise<void>((r) => { this.markStarted = r; });
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      try {
        const res = await this.client.request('GET', this.path);
        if (res.status !== 200) throw new Error(`list ${this.path}: HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
        const at = performance.now();
        const list = JSON.parse(res.body.toString()) as ListBody<T>;
        for (const item of list.items ?? []) this.onObject(item, at);
        const sep = this.path.includes('?') ? '&' : '?';
        const q = new URLSearchParams({ watch: 'true', resourceVersion: list.metadata?.resourceVersion ?? '', allowWatchBookmarks: 'true' });
        this.stream = await this.client.watch(`${this.path}${sep}${q}`, (line: WatchLine, lineAt: number) => {
          const obj = line.object as T;
          if (line.type === 'ADDED' || line.type === 'MODIFIED') this.onObject(obj, lineAt);
          else if (line.type === 'DELETED') this.onDeleted(obj, lineAt);
        });
        if (this.closed) { this.stream.close(); return; }
        this.markStarted();
        await this.stream.ended;
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
        if (!this.closed) await sleep(500);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stream?.close();
    this.markStarted();
    await this.running;
  }
}

interface NodeLike {
  metadata?: { name?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
}

function isReady(n: NodeLike): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Starts the server with simulated nodes and waits for them; the caller stops the server. */
export async function startSimulatedCluster(o: NodesOptions): Promise<{ server: SkiffServer; client: ApiClient; result: NodesResult }> {
  const server = await startSkiff({
    timeoutMs: 120_000,
    extraArgs: ['--simulated-nodes', String(o.nodes), '--simulated-node-capacity', o.capacity],
  });
  const readyzAt = performance.now();
  const client = new ApiClient(server.port, server.dataDir, o.concurrency);
  try {
    o.log(`server ready in ${server.readyMs.toFixed(0)} ms; waiting for ${o.nodes} simulated nodes to be Ready`);
    const ready = new Set<string>();
    let halfAt: number | undefined;
    let allAt: number | undefined;
    let wake: () => void = () => {};
    const watcher = new CollectionWatcher<NodeLike>(client, '/api/v1/nodes', (n, at) => {
      const name = n.metadata?.name;
      if (!name || !name.startsWith('sim-')) return;
      if (isReady(n)) {
        if (ready.has(name)) return;
        ready.add(name);
        if (halfAt === undefined && ready.size >= o.nodes / 2) halfAt = at;
        if (allAt === undefined && ready.size >= o.nodes) { allAt = at; wake(); }
      } else {
        ready.delete(name);
      }
    });
    const deadline = readyzAt + o.timeoutMs;
    let lastLog = performance.now();
    try {
      while (allAt === undefined && performance.now() < deadline) {
        await new Promise<void>((r) => { wake = r; setTimeout(r, 1000); });
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          o.log(`${ready.size}/${o.nodes} nodes Ready after ${((lastLog - readyzAt) / 1000).toFixed(0)} s`);
        }
      }
    } finally {
      await watcher.close();
    }
    if (allAt === undefined) {
      throw new Error(`only ${ready.size}/${o.nodes} nodes Ready within ${o.timeoutMs / 1000} s of /readyz${watcher.lastError ? ` (watch: ${watcher.lastError})` : ''}: ${server.stderrTail().slice(-500)}`);
    }
    const fromReadyz = allAt - readyzAt;
    o.log(`${o.nodes} nodes Ready ${(fromReadyz / 1000).toFixed(1)} s after /readyz`);
    // Let the registration burst settle before reading RSS (heartbeats keep going).
    await sleep(5000);
    const rssBytes = treeRss(server.pid).bytes;
    return {
      server, client,
      result: {
        nodes: o.nodes, capacity: o.capacity, readyzMs: server.readyMs,
        allReadyFromSpawnMs: server.readyMs + fromReadyz, allReadyFromReadyzMs: fromReadyz,
        halfReadyFromReadyzMs: (halfAt ?? allAt) - readyzAt,
        nodesPerSec: o.nodes / (fromReadyz / 1000), readyNodes: ready.size, rssBytes,
      },
    };
  } catch (err) {
    client.close();
    await server.stop();
    await server.removeDataDir();
    throw err;
  }
}

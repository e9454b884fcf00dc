/**
 * Starts a throw-away etcd (Debian package etcd-server) on free loopback ports with its data in a
 * temp dir. A missing binary is an error, never a skip.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdInstance {
  /** `127.0.0.1:port` of the client URL (no scheme). */
  endpoint: string;
  stop(): Promise<void>;
}

const CANDIDATES = [process.env.ETCD_BIN, '/usr/bin/etcd', '/usr/local/bin/etcd'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    const body: unknown = await res.json();
    return typeof body === 'object' && body !== null && 'health' in body && body.health === 'true';
  } catch {
    return false;
  }
}

export async function startEtcd(opts: { timeoutMs?: number } = {}): Promise<EtcdInstance> {
  const bin = CANDIDATES.find((c): c is string => !!c && existsSync(c));
  if (!bin) {
    throw new Error('etcd binary not found (looked in /usr/bin/etcd, /usr/local/bin/etcd, $ETCD_BIN): install Debian package etcd-server');
  }
  const dir = await mkdtemp(join(tmpdir(), 'skiff-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `127.0.0.1:${clientPort}`;
  const child = spawn(bin, [
    '--name', 'skiff-test',
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', `http://${endpoint}`,
    '--advertise-client-urls', `http://${endpoint}`,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `skiff-test=http://127.0.0.1:${peerPort}`,
    '--initial-cluster-state', 'new',
    '--experimental-watch-progress-notify-interval', '1s',
    '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });

  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => { exitCode = code; resolve(); }));

  const stop = async (): Promise<void> => {
    if (exitCode === undefined && child.pid !== undefined) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (!(await healthy(endpoint))) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error(`etcd exited with code ${exitCode} during startup: ${stderr}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy on ${endpoint}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { endpoint, stop };
}

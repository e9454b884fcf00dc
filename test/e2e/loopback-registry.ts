/**
 * A throwaway image registry on loopback for end-to-end tests: Debian's `docker-registry`
 * (the CNCF distribution registry) serving plain HTTP on `127.0.0.1:<free port>` with its storage
 * in a temp dir, and `skopeo` to push OCI archives into it. Started and stopped by pid; `stop()`
 * removes the storage. Nothing here talks to anything beyond loopback.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../helpers/cluster.js';

const run = promisify(execFile);

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const SKOPEO_BINARY = '/usr/bin/skopeo';

/** Fails loudly (never skips) when the registry or skopeo is missing. */
export function registryPreflight(): void {
  const missing = [
    [REGISTRY_BINARY, 'docker-registry'],
    [SKOPEO_BINARY, 'skopeo'],
  ].filter(([path]) => !existsSync(path ?? '')).map(([, pkg]) => pkg);
  if (missing.length) assert.fail(`cannot run the registry end-to-end test: install the Debian packages ${missing.join(', ')} (scripts/setup.sh does)`);
}

function registryConfig(root: string, addr: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${root}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${addr}`,
    '',
  ].join('\n');
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export class LoopbackRegistry {
  /** `127.0.0.1:<port>`, the registry part of image references. */
  host = '';
  private dir = '';
  private child: ChildProcess | undefined;
  private output = '';

  async start(): Promise<void> {
    registryPreflight();
    this.dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-registry-'));
    const port = await freePort();
    this.host = `127.0.0.1:${port}`;
    const config = join(this.dir, 'config.yml');
    writeFileSync(config, registryConfig(join(this.dir, 'storage'), this.host));
    const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer): void => {
      this.output = `${this.output}${b.toString()}`.slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      if (child.exitCode !== null) break;
      if (await httpStatus(`http://${this.host}/v2/`) === 200) return;
      await sleep(200);
    }
    assert.fail(`registry on ${this.host} did not come up:\n${this.output}`);
  }

  /** Pushes the image tagged `ref` (`oci-archive` ref name, e.g. `latest`) of an OCI archive as `<host>/<repository>:<tag>`. */
  async pushArchive(archive: Buffer, ref: string, repository: string, tag: string): Promise<string> {
    const file = join(this.dir, `push-${Date.now()}.tar`);
    writeFileSync(file, archive);
    const dest = `${this.host}/${repository}:${tag}`;
    try {
      await run(SKOPEO_BINARY, ['copy', '--quiet', '--dest-tls-verify=false', `oci-archive:${file}:${ref}`, `docker://${dest}`], { timeout: 120_000 });
    } finally {
      rmSync(file, { force: true });
    }
    return dest;
  }

  /** Stops the registry by pid and removes its storage. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.pid) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(child.pid, 'SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed && child.exitCode === null) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
}

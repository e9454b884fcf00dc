/**
 * A throwaway image registry on loopback for end-to-end tests: Debian's `docker-registry`
 * (the CNCF distribution registry) serving plain HTTP on `127.0.0.1:<free port>` with its storage
 * in a temp dir, and `skopeo` to push OCI archives into it. Started and stopped by pid; `stop()`
 * removes the storage. With `credentials` it requires HTTP basic auth (distribution's `htpasswd`
 * backend; its bcrypt file made by Debian's `htpasswd` from apache2-utils), which it accepts over
 * plain HTTP. Nothing here talks to anything beyond loopback.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../helpers/cluster.js';
import type { AgentCluster } from './node-agent-support.js';

const run = promisify(execFile);

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const SKOPEO_BINARY = '/usr/bin/skopeo';
export const HTPASSWD_BINARY = '/usr/bin/htpasswd';

/** Fails loudly (never skips) when the registry or skopeo is missing. */
export function registryPreflight(opts: { htpasswd?: boolean } = {}): void {
  const missing = [
    [REGISTRY_BINARY, 'docker-registry'],
    [SKOPEO_BINARY, 'skopeo'],
    ...(opts.htpasswd ? [[HTPASSWD_BINARY, 'apache2-utils']] : []),
  ].filter(([path]) => !existsSync(path ?? '')).map(([, pkg]) => pkg);
  if (missing.length) assert.fail(`cannot run the registry end-to-end test: install the Debian packages ${missing.join(', ')} (scripts/setup.sh does)`);
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

function registryConfig(root: string, addr: string, htpasswdFile?: string): string {
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
    ...(htpasswdFile ? ['auth:', '  htpasswd:', '    realm: skiff-e2e', `    path: ${htpasswdFile}`] : []),
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

  /** `credentials`: the one user the registry accepts (anonymous requests get 401). */
  constructor(private readonly opts: { credentials?: RegistryCredentials } = {}) {}

  async start(): Promise<void> {
    const creds = this.opts.credentials;
    registryPreflight({ htpasswd: creds !== undefined });
    this.dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-registry-'));
    const port = await freePort();
    this.host = `127.0.0.1:${port}`;
    const config = join(this.dir, 'config.yml');
    let htpasswdFile: string | undefined;
    if (creds) {
      htpasswdFile = join(this.dir, 'htpasswd');
      const { stdout } = await run(HTPASSWD_BINARY, ['-Bbn', creds.username, creds.password], { timeout: 30_000 });
      writeFileSync(htpasswdFile, stdout, { mode: 0o600 });
    }
    writeFileSync(config, registryConfig(join(this.dir, 'storage'), this.host, htpasswdFile));
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
      if (await httpStatus(`http://${this.host}/v2/`) === (creds ? 401 : 200)) return;
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
      const creds = this.opts.credentials;
      await run(SKOPEO_BINARY, [
        'copy', '--quiet', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', `${creds.username}:${creds.password}`] : []),
        `oci-archive:${file}:${ref}`, `docker://${dest}`,
      ], { timeout: 120_000 });
    } finally {
      rmSync(file, { force: true });
    }
    return dest;
  }

  /**
   * Removes the images containerd (`containerdSocket`, namespace k8s.io) pulled from this registry,
   * also under `localhost:PORT`; returns what could not be removed.
   */
  removePulledImages(containerdSocket: string): string[] {
    if (!this.host) return [];
    const port = this.host.slice(this.host.lastIndexOf(':'));
    const ctr = (args: string[]): string => execFileSync('ctr', ['-a', containerdSocket, '-n', 'k8s.io', 'images', ...args], { encoding: 'utf8' });
    const pulled = (): string[] => ctr(['ls', '-q']).split('\n').filter((r) => r.startsWith(`${this.host}/`) || r.startsWith(`localhost${port}/`));
    try {
      const ours = pulled();
      if (ours.length) ctr(['rm', ...ours]);
      const left = pulled();
      return left.length ? [`pulled images left: ${left.join(', ')}`] : [];
    } catch (e) {
      return [`removing pulled images: ${e instanceof Error ? e.message : String(e)}`];
    }
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

/**
 * The teardown of an agent suite with a registry: deletes `namespaces` and every pod of the
 * current one, removes the images pulled from `registry`, stops it, runs the cluster's teardown
 * and asserts nothing was left behind.
 */
export async function teardownWithRegistry(cluster: AgentCluster, registry: LoopbackRegistry, namespaces: string[] = []): Promise<void> {
  const problems: string[] = [];
  if (cluster.server) {
    for (const ns of namespaces) {
      await cluster.k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=90s'], 120_000).catch(() => undefined);
    }
    await cluster.k(['delete', 'pod', '--all', '--wait=true', '--timeout=90s'], 120_000).catch(() => undefined);
    problems.push(...registry.removePulledImages(cluster.containerdSocket));
  }
  await registry.stop();
  problems.push(...await cluster.teardown());
  assert.deepEqual(problems, [], 'teardown left things behind');
}

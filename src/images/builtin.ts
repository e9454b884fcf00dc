/**
 * The images Skiff builds from Debian packages, no registry involved:
 *
 * - `busybox`: `/bin/busybox` of busybox-static plus a symlink for every applet at its usual path
 *   (`busybox --list-full`), a minimal `/etc` (passwd, group, hosts-less), `/tmp`; tagged
 *   `docker.io/library/busybox:latest`, `:<major.minor>` and `:<major.minor.patch>` of the package
 *   (e.g. `busybox:1.35`), so pods naming either find it.
 * - `pause`: the sandbox image. It holds only the static busybox and runs `busybox sleep infinity`
 *   in place of upstream's tiny `pause` binary: it keeps the pod's namespaces alive, which is all
 *   the sandbox container is for. Unlike upstream's pause it does not reap zombies of pods with a
 *   shared PID namespace, and it ignores SIGTERM as PID 1 (containerd stops sandboxes with SIGKILL).
 *   Tagged `registry.k8s.io/pause:3.10` (containerd's `sandbox_image`) and `docker.io/skiff/pause:3.10`.
 *
 * Builds are reproducible: file times and `created` are the busybox binary's mtime, so rebuilding
 * gives the same digests and importing again changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { BUSYBOX_REQUIREMENT, checkRequirements } from '../node/containerd/prerequisites.js';
import type { BuiltImage } from './oci.js';
import { buildOciImage } from './oci.js';
import type { TarEntry } from './tar.js';

export const BUSYBOX_PATH = '/bin/busybox';
export const BUSYBOX_REPOSITORY = 'docker.io/library/busybox';
export const PAUSE_VERSION = '3.10';
export const PAUSE_IMAGES = [`registry.k8s.io/pause:${PAUSE_VERSION}`, `docker.io/skiff/pause:${PAUSE_VERSION}`];
export const BUILTIN_IMAGES = ['busybox', 'pause'] as const;
export type BuiltinImage = (typeof BUILTIN_IMAGES)[number];

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function readBusybox(path: string): { data: Buffer; mtime: number } {
  if (path === BUSYBOX_PATH) checkRequirements([BUSYBOX_REQUIREMENT]);
  const data = readFileSync(path);
  // A dynamically linked busybox would not run in an image without libc.
  if (data.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error(`${path} is not an ELF binary`);
  if (hasInterpreter(data)) throw new Error(`${path} is dynamically linked; install the Debian package busybox-static`);
  return { data, mtime: Math.floor(statSync(path).mtimeMs / 1000) };
}

/** Whether an ELF64 little-endian binary has a PT_INTERP program header (is dynamically linked). */
function hasInterpreter(elf: Buffer): boolean {
  if (elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true;
  }
  return false;
}

/** `1.35.0` from the binary's banner. */
export function busyboxVersion(path = BUSYBOX_PATH): string {
  const out = execFileSync(path, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = /BusyBox v(\d+\.\d+(?:\.\d+)?)/.exec(out);
  if (!m?.[1]) throw new Error(`cannot tell the busybox version from ${path} --help`);
  return m[1];
}

function applets(path: string): string[] {
  const out = execFileSync(path, ['--list-full'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.split('\n').map((s) => s.trim()).filter((s) => s.includes('/') && s !== 'bin/busybox');
}

function etcFiles(): TarEntry[] {
  const text = (s: string): Buffer => Buffer.from(s);
  return [
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', data: text('root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n') },
    { type: 'file', path: 'etc/group', data: text('root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nnogroup:x:65534:\n') },
    { type: 'file', path: 'etc/shadow', data: text('root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n'), mode: 0o640 },
  ];
}

export interface BuildOptions {
  /** Source binary; default `/bin/busybox` (Debian busybox-static). */
  busybox?: string;
}

export function buildBusyboxImage(opts: BuildOptions = {}): BuiltImage {
  const path = opts.busybox ?? BUSYBOX_PATH;
  const { data, mtime } = readBusybox(path);
  const version = busyboxVersion(path);
  const minor = version.split('.').slice(0, 2).join('.');
  const links = applets(path);
  const dirs = new Set<string>(['bin', 'dev', 'home', 'proc', 'root', 'sys', 'tmp', 'usr', 'var', 'var/www', 'usr/bin', 'usr/sbin', 'sbin']);
  for (const l of links) {
    const parts = l.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const layer: TarEntry[] = [];
  for (const d of [...dirs].sort()) {
    layer.push({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755 });
  }
  layer.push({ type: 'file', path: 'bin/busybox', data, mode: 0o755 });
  for (const l of [...links].sort()) layer.push({ type: 'symlink', path: l, target: '/bin/busybox' });
  layer.push(...etcFiles());
  const tags = [...new Set([`${BUSYBOX_REPOSITORY}:latest`, `${BUSYBOX_REPOSITORY}:${minor}`, `${BUSYBOX_REPOSITORY}:${version}`])];
  return buildOciImage({ tags, layer, created: mtime, config: { env: [DEFAULT_PATH], cmd: ['sh'] } });
}

export function buildPauseImage(opts: BuildOptions = {}): BuiltImage {
  const path = opts.busybox ?? BUSYBOX_PATH;
  const { data, mtime } = readBusybox(path);
  const layer: TarEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data, mode: 0o755 },
  ];
  return buildOciImage({
    tags: PAUSE_IMAGES, layer, created: mtime,
    config: { env: [DEFAULT_PATH], entrypoint: ['/bin/busybox', 'sleep', 'infinity'], labels: { 'io.skiff.image': 'pause' } },
  });
}

export function buildBuiltinImage(name: BuiltinImage, opts: BuildOptions = {}): BuiltImage {
  return name === 'busybox' ? buildBusyboxImage(opts) : buildPauseImage(opts);
}

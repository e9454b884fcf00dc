/**
 * Publishes a set of files into a directory so a reader never sees a half-updated set (upstream
 * volume/util AtomicWriter, used by the configMap, secret, downwardAPI and projected volumes):
 *
 * ```
 * <dir>/..2026_11_24_10_00_00.1234567890/   the files of one version (0755 dirs, per-file modes)
 * <dir>/..data -> ..2026_11_24_10_00_00.1234567890
 * <dir>/<top-level entry> -> ..data/<top-level entry>
 * ```
 *
 * A new version is written into a fresh timestamped directory, `..data_tmp` is pointed at it and
 * renamed over `..data` (rename(2) replaces a symlink atomically), user-visible links are added
 * for new top-level entries and removed for entries that went away, then the old version is
 * deleted. When the payload equals what is already published nothing is written.
 */
import { randomInt } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';

export const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';

export interface FileProjection {
  data: Uint8Array;
  /** permission bits, e.g. 0o644 */
  mode: number;
}

export type Payload = Map<string, FileProjection>;

const MAX_PATH = 4096;
const MAX_SEGMENT = 255;

/** Rejects paths a payload may not use (absolute, `..` segments, leading `..`, too long). */
export function validatePath(p: string): void {
  if (p === '') throw new Error('invalid path: must not be empty');
  if (p.length > MAX_PATH) throw new Error(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  if (path.isAbsolute(p)) throw new Error(`invalid path: must be relative path: ${p}`);
  const parts = p.split('/');
  for (const seg of parts) {
    if (seg.length > MAX_SEGMENT) throw new Error(`invalid path: must not contain an element longer than ${MAX_SEGMENT} characters`);
    if (seg === '..') throw new Error(`invalid path: must not contain '..': ${p}`);
  }
  if (p.startsWith('..')) throw new Error(`invalid path: must not start with '..': ${p}`);
}

function cleanPayload(payload: Payload): Payload {
  const out: Payload = new Map();
  for (const [p, f] of payload) {
    validatePath(p);
    const clean = path.posix.normalize(p).replace(/\/+$/, '');
    if (clean === '.' || clean === '') throw new Error(`invalid path: ${p}`);
    out.set(clean, f);
  }
  return out;
}

function topLevel(p: string): string {
  const i = p.indexOf('/');
  return i < 0 ? p : p.slice(0, i);
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** `..2006_01_02_15_04_05.` as Go formats the UTC time of a new version. */
export function timestampPrefix(d: Date): string {
  return `..${d.getUTCFullYear()}_${two(d.getUTCMonth() + 1)}_${two(d.getUTCDate())}_${two(d.getUTCHours())}_${two(d.getUTCMinutes())}_${two(d.getUTCSeconds())}.`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

async function samePayload(payload: Payload, versionDir: string): Promise<boolean> {
  const files = await listFiles(versionDir);
  if (files.length !== payload.size) return false;
  for (const f of files) {
    const want = payload.get(f);
    if (!want) return false;
    const st = await stat(path.join(versionDir, f));
    if ((st.mode & 0o7777) !== want.mode) return false;
    const have = await readFile(path.join(versionDir, f));
    if (!have.equals(Buffer.from(want.data))) return false;
  }
  return true;
}

async function newVersionDir(dir: string, now: Date): Promise<string> {
  for (;;) {
    const name = `${timestampPrefix(now)}${randomInt(0, 2 ** 31)}`;
    try {
      await mkdir(path.join(dir, name), { mode: 0o755 });
      await chmod(path.join(dir, name), 0o755);
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export interface WriteResult {
  /** A new version was published. */
  changed: boolean;
  version: string;
}

/** Publishes `payload` into `dir` (created if missing). */
export async function writeAtomic(dir: string, payload: Payload, now: Date = new Date()): Promise<WriteResult> {
  const files = cleanPayload(payload);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  let oldVersion = '';
  try {
    oldVersion = await readlink(path.join(dir, DATA_DIR));
  } catch {
    oldVersion = '';
  }
  const oldFiles = oldVersion ? await listFiles(path.join(dir, oldVersion)) : [];
  const newTop = new Set([...files.keys()].map(topLevel));
  const staleTop = new Set(oldFiles.map(topLevel).filter((t) => !newTop.has(t)));

  let version = oldVersion;
  const unchanged = oldVersion !== '' && await samePayload(files, path.join(dir, oldVersion));
  if (!unchanged) {
    version = await newVersionDir(dir, now);
    const root = path.join(dir, version);
    for (const [rel, f] of files) {
      const target = path.join(root, rel);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      await writeFile(target, f.data, { mode: f.mode });
      await chmod(target, f.mode);
    }
    const tmp = path.join(dir, DATA_DIR_TMP);
    await rm(tmp, { force: true });
    await symlink(version, tmp);
    await rename(tmp, path.join(dir, DATA_DIR));
  }
  for (const t of newTop) {
    const link = path.join(dir, t);
    if (!await exists(link)) await symlink(path.posix.join(DATA_DIR, t), link);
  }
  for (const t of staleTop) await unlink(path.join(dir, t)).catch(() => {});
  if (!unchanged && oldVersion) await rm(path.join(dir, oldVersion), { recursive: true, force: true });
  return { changed: !unchanged, version };
}

/** Text or bytes as a file of the payload. */
export function fileOf(data: string | Uint8Array, mode: number): FileProjection {
  return { data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data, mode };
}

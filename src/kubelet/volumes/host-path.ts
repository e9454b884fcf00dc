/**
 * hostPath volume type checks (upstream hostpath plugin): `Directory`, `DirectoryOrCreate`,
 * `File`, `FileOrCreate`, `Socket`, `CharDevice`, `BlockDevice`; unset or empty means no check.
 */
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { VolumeSetupError } from './payloads.js';

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}

export async function checkHostPathType(p: string, type: string | undefined): Promise<void> {
  if (!type) return;
  const st = await statOrUndefined(p);
  const fail = (what: string): never => {
    throw new VolumeSetupError(`hostPath type check failed: ${p} is not ${what}`);
  };
  if (type === 'DirectoryOrCreate' && !st) {
    await mkdir(p, { recursive: true, mode: 0o755 });
    return;
  }
  if (type === 'FileOrCreate' && !st) {
    // Like upstream, the parent directory is not created.
    try {
      await (await open(p, 'a', 0o644)).close();
    } catch (err) {
      throw new VolumeSetupError(`hostPath type check failed: ${p}: ${(err as Error).message}`);
    }
    return;
  }
  switch (type) {
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!st?.isDirectory()) fail('a directory');
      return;
    case 'FileOrCreate':
    case 'File':
      if (!st?.isFile()) fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('a block device');
      return;
    default:
      throw new VolumeSetupError(`${type} is an invalid volume type`);
  }
}

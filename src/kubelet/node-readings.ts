/**
 * The host readings the pressure conditions are computed from, as upstream's eviction manager
 * takes them from its stats: memory.available is capacity minus the working set (MemAvailable
 * of /proc/meminfo), nodefs is the kubelet's root directory's file system, imagefs the one the
 * runtime keeps images on, pid.available is pid_max minus the tasks that exist (/proc/loadavg).
 * A reading that cannot be taken is left out.
 */
import { readFileSync, statfsSync } from 'node:fs';
import type { NodeReadings, Reading } from './node-pressure.js';
import { readMeminfo } from './stats/node-proc.js';

export interface FsReadings {
  bytes: Reading;
  inodes: Reading;
}

export function fsReadings(path: string): FsReadings | undefined {
  try {
    const s = statfsSync(path);
    const bsize = Number(s.bsize);
    return {
      bytes: { available: Number(s.bavail) * bsize, capacity: Number(s.blocks) * bsize },
      inodes: { available: Number(s.ffree), capacity: Number(s.files) },
    };
  } catch {
    return undefined;
  }
}

/** PIDs left: `pid_max` minus the tasks (threads) that exist, from `/proc/loadavg`'s `running/total`. */
export function parsePidReading(pidMaxText: string, loadavgText: string): Reading | undefined {
  const max = Number(pidMaxText.trim());
  const total = Number(/\d+\/(\d+)/.exec(loadavgText)?.[1]);
  if (!Number.isFinite(max) || max <= 0 || !Number.isFinite(total)) return undefined;
  return { available: Math.max(0, max - total), capacity: max };
}

function tryRead<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export interface HostReadingPaths {
  /** The kubelet's root directory (nodefs). */
  nodefs: string;
  /** Where the runtime keeps images (imagefs); default: same as nodefs. */
  imagefs?: string;
}

export function readHostReadings(paths: HostReadingPaths): NodeReadings {
  const out: NodeReadings = {};
  const mem = tryRead(() => readMeminfo());
  if (mem && mem.totalBytes > 0) out['memory.available'] = { available: mem.availableBytes, capacity: mem.totalBytes };
  const nodefs = fsReadings(paths.nodefs);
  if (nodefs) {
    out['nodefs.available'] = nodefs.bytes;
    out['nodefs.inodesFree'] = nodefs.inodes;
  }
  const imagefs = paths.imagefs ? fsReadings(paths.imagefs) : nodefs;
  if (imagefs) {
    out['imagefs.available'] = imagefs.bytes;
    out['imagefs.inodesFree'] = imagefs.inodes;
  }
  const pid = tryRead(() => parsePidReading(readFileSync('/proc/sys/kernel/pid_max', 'utf8'), readFileSync('/proc/loadavg', 'utf8')));
  if (pid) out['pid.available'] = pid;
  return out;
}

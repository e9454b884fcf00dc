/**
 * The node's own CPU and memory figures from /proc, as upstream approximates them: CPU time is
 * every non-idle jiffy of the `cpu` line of /proc/stat (user, nice, system, irq, softirq, steal;
 * USER_HZ is 100 on Linux), the working set is MemTotal − MemAvailable from /proc/meminfo.
 */
import { readFileSync } from 'node:fs';

const NS_PER_JIFFY = 1e7;
const KIB = 1024;

export interface ProcStat {
  /** Cumulative non-idle CPU time over all cores, ns. */
  usageCoreNanoSeconds: number;
  /** Boot time, ms since the epoch. */
  bootMs: number;
}

export interface ProcMemory {
  totalBytes: number;
  availableBytes: number;
  workingSetBytes: number;
  usageBytes: number;
}

export function parseProcStat(text: string): ProcStat {
  let usage = 0;
  let bootMs = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
      const n = f.slice(1).map(Number);
      usage = [n[0], n[1], n[2], n[5], n[6], n[7]].reduce<number>((a, v) => a + (v !== undefined && Number.isFinite(v) ? v : 0), 0) * NS_PER_JIFFY;
    } else if (f[0] === 'btime') {
      bootMs = Number(f[1]) * 1000;
    }
  }
  return { usageCoreNanoSeconds: usage, bootMs };
}

export function parseMeminfo(text: string): ProcMemory {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]) * KIB);
  }
  const total = kb.get('MemTotal') ?? 0;
  const free = kb.get('MemFree') ?? 0;
  const available = kb.get('MemAvailable') ?? free;
  return { totalBytes: total, availableBytes: available, workingSetBytes: Math.max(0, total - available), usageBytes: Math.max(0, total - free) };
}

export function readProcStat(path = '/proc/stat'): ProcStat {
  return parseProcStat(readFileSync(path, 'utf8'));
}

export function readMeminfo(path = '/proc/meminfo'): ProcMemory {
  return parseMeminfo(readFileSync(path, 'utf8'));
}

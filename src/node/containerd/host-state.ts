/**
 * What a node leaves on the host besides its data dir — network namespaces, the pod bridge,
 * iptables chains the CNI plugins made, mounts, cgroups, shim processes — recorded before and
 * removed after, for tests and for tearing a node down (like k3s-killall.sh, but only what was not
 * there before).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const NETNS_DIR = '/var/run/netns';
const CGROUP_ROOT = '/sys/fs/cgroup';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: string[]): boolean {
  try {
    run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_DIR).sort();
  } catch {
    return [];
  }
}

/** Mount points (field 5 of mountinfo), optionally only under a path. */
export function listMounts(under?: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
  const points = lines.map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '));
  return under ? points.filter((p) => p === under || p.startsWith(`${under.replace(/\/+$/, '')}/`)) : points;
}

export const IPTABLES_TABLES = ['filter', 'nat', 'mangle'] as const;

/** `table/chain` for every chain in the given tables. */
export function listIptablesChains(): string[] {
  const out: string[] = [];
  for (const table of IPTABLES_TABLES) {
    let text = '';
    try {
      text = run('iptables', ['-w', '-t', table, '-S']);
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^-[PN] (\S+)/.exec(line);
      if (m?.[1]) out.push(`${table}/${m[1]}`);
    }
  }
  return out.sort();
}

/** Rules (as `-S` prints them) mentioning a string, per table. */
export function iptablesRulesMentioning(text: string): string[] {
  const out: string[] = [];
  for (const table of IPTABLES_TABLES) {
    try {
      for (const line of run('iptables', ['-w', '-t', table, '-S']).split('\n')) if (line.startsWith('-A ') && line.includes(text)) out.push(`${table}: ${line}`);
    } catch {
      // table not available
    }
  }
  return out;
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export interface HostSnapshot {
  netns: string[];
  chains: string[];
  links: string[];
}

export function snapshotHost(): HostSnapshot {
  let links: string[] = [];
  try {
    links = readdirSync('/sys/class/net').sort();
  } catch {
    links = [];
  }
  return { netns: listNetns(), chains: listIptablesChains(), links };
}

export interface CleanupReport {
  netns: string[];
  chains: string[];
  links: string[];
  mounts: string[];
  cgroups: string[];
  processes: number[];
}

/** Removes iptables chains (and rules jumping to them) that were not in `before`. */
export function removeNewIptablesChains(before: readonly string[], prefix = 'CNI-'): string[] {
  const had = new Set(before);
  const added = listIptablesChains().filter((c) => !had.has(c) && (c.split('/')[1] ?? '').startsWith(prefix));
  const byTable = new Map<string, string[]>();
  for (const c of added) {
    const [table, chain] = c.split('/') as [string, string];
    byTable.set(table, [...(byTable.get(table) ?? []), chain]);
  }
  for (const [table, chains] of byTable) {
    const targets = new Set(chains);
    // First every rule jumping to one of them (from any chain), then flush, then delete.
    let rules = '';
    try {
      rules = run('iptables', ['-w', '-t', table, '-S']);
    } catch {
      continue;
    }
    for (const line of rules.split('\n')) {
      const m = /^-A (\S+) (.*)$/.exec(line);
      if (!m) continue;
      const jump = / -[jg] (\S+)/.exec(` ${m[2] ?? ''}`)?.[1];
      if (jump && targets.has(jump) && !targets.has(m[1] ?? '')) {
        tryRun('sh', ['-c', `iptables -w -t ${table} -D ${m[1]} ${m[2]}`]);
      }
    }
    for (const chain of chains) tryRun('iptables', ['-w', '-t', table, '-F', chain]);
    for (const chain of chains) tryRun('iptables', ['-w', '-t', table, '-X', chain]);
  }
  return added;
}

/** Removes a cgroup subtree (deepest first) in every hierarchy; cgroups must be empty of tasks. */
export function removeCgroupTree(relative: string): string[] {
  const removed: string[] = [];
  const rel = relative.replace(/^\/+/, '');
  if (!rel) return removed;
  const roots: string[] = [];
  try {
    for (const d of readdirSync(CGROUP_ROOT)) roots.push(join(CGROUP_ROOT, d));
  } catch {
    return removed;
  }
  roots.push(CGROUP_ROOT);
  for (const root of roots) {
    const top = join(root, rel);
    if (!existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string): void => {
      dirs.push(d);
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        try {
          if (statSync(p).isDirectory()) walk(p);
        } catch {
          // vanished
        }
      }
    };
    walk(top);
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d);
        removed.push(d);
      } catch {
        // busy (tasks left) or gone
      }
    }
  }
  return removed;
}

/** Pids whose command line contains a string (e.g. a containerd socket path, to find its shims). */
export function pidsWithCmdline(text: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').includes(text)) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

export interface CleanupOptions {
  before: HostSnapshot;
  /** Mounts under these paths are unmounted (lazily) when still there. */
  mountRoots: string[];
  /** Cgroup subtrees to remove (relative to each hierarchy's root). */
  cgroupTrees?: string[];
  /** Processes whose command line contains this (shims of our containerd) are killed. */
  processMarker?: string;
  /** Links to delete when they were not there before (the pod bridge). */
  links?: string[];
  /** Network namespaces (names in /var/run/netns) to delete when they were not there before. */
  netns?: string[];
  /** Only new iptables chains with this prefix are removed; default `CNI-`. */
  chainPrefix?: string;
}

/**
 * Removes what appeared since `before` and is named as ours: network namespaces, links such as the
 * pod bridge, new `CNI-` iptables chains, mounts under `mountRoots`, the cgroup trees and stray
 * processes. Returns what had to be removed.
 */
export function cleanupHost(o: CleanupOptions): CleanupReport {
  const report: CleanupReport = { netns: [], chains: [], links: [], mounts: [], cgroups: [], processes: [] };
  if (o.processMarker) {
    for (const pid of pidsWithCmdline(o.processMarker)) {
      try {
        process.kill(pid, 'SIGKILL');
        report.processes.push(pid);
      } catch {
        // gone
      }
    }
  }
  const hadNs = new Set(o.before.netns);
  const present = new Set(listNetns());
  for (const ns of o.netns ?? []) {
    if (hadNs.has(ns) || !present.has(ns)) continue;
    if (tryRun('ip', ['netns', 'delete', ns])) report.netns.push(ns);
  }
  for (const root of o.mountRoots) {
    for (const m of listMounts(root).sort((a, b) => b.length - a.length)) {
      if (tryRun('umount', ['-l', m])) report.mounts.push(m);
    }
  }
  const hadLinks = new Set(o.before.links);
  for (const l of o.links ?? []) {
    if (hadLinks.has(l) || !linkExists(l)) continue;
    if (tryRun('ip', ['link', 'delete', l])) report.links.push(l);
  }
  report.chains = removeNewIptablesChains(o.before.chains, o.chainPrefix ?? 'CNI-');
  for (const t of o.cgroupTrees ?? []) report.cgroups.push(...removeCgroupTree(t));
  return report;
}

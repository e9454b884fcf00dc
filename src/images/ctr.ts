/**
 * Loads image archives into containerd's `k8s.io` namespace (the one the CRI plugin serves) with
 * `ctr`, which ships in Debian's containerd package. OCI archives and docker archives (`docker
 * save`) both work; images are unpacked into the overlayfs snapshotter so pods start at once.
 */
import { spawn } from 'node:child_process';
import { CONTAINERD_REQUIREMENTS, checkRequirements, findProgram } from '../node/containerd/prerequisites.js';

export const CRI_NAMESPACE = 'k8s.io';

export interface ImportOptions {
  /** containerd socket path. */
  socket: string;
  namespace?: string;
  snapshotter?: string;
  /** Reject after this long (default 5 min). */
  timeoutMs?: number;
}

export interface ImportResult {
  /** Image names created or updated, as ctr reported them. */
  images: string[];
  output: string;
}

/** Runs `ctr -a <socket> -n k8s.io images import -` with the archive on stdin (a Buffer) or a file path. */
export function importImageArchive(archive: Buffer | string, opts: ImportOptions): Promise<ImportResult> {
  const ctrReq = CONTAINERD_REQUIREMENTS.find((r) => r.program === 'ctr');
  if (ctrReq) checkRequirements([ctrReq]);
  const ctr = findProgram('ctr') ?? 'ctr';
  const args = [
    '-a', opts.socket, '-n', opts.namespace ?? CRI_NAMESPACE, 'images', 'import',
    '--snapshotter', opts.snapshotter ?? 'overlayfs', typeof archive === 'string' ? archive : '-',
  ];
  return new Promise<ImportResult>((resolve, reject) => {
    const child = spawn(ctr, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ctr images import timed out after ${opts.timeoutMs ?? 300_000} ms`));
    }, opts.timeoutMs ?? 300_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${ctr}: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`ctr images import failed (exit ${code}): ${out.trim()}`));
        return;
      }
      const images = [...out.matchAll(/unpacking (\S+) \(sha256:[0-9a-f]+\)/g)].map((m) => m[1] ?? '').filter(Boolean);
      resolve({ images, output: out });
    });
    child.stdin.on('error', () => {
      // ctr failing early closes stdin; the exit code tells what happened
    });
    if (typeof archive === 'string') child.stdin.end();
    else child.stdin.end(archive);
  });
}

/**
 * The host programs a real node needs, and the Debian packages that provide them, so a missing one
 * is reported as "install these packages" rather than as a failed spawn.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Requirement {
  /** What is looked for: a program on PATH, or an absolute file. */
  program: string;
  debianPackage: string;
  what: string;
}

export const CONTAINERD_REQUIREMENTS: readonly Requirement[] = [
  { program: 'containerd', debianPackage: 'containerd', what: 'the container runtime daemon' },
  { program: 'containerd-shim-runc-v2', debianPackage: 'containerd', what: 'the runc shim' },
  { program: 'ctr', debianPackage: 'containerd', what: 'the containerd client (image import)' },
  { program: 'runc', debianPackage: 'runc', what: 'the OCI runtime' },
];

export function cniRequirements(binDir: string): Requirement[] {
  return ['bridge', 'host-local', 'portmap', 'loopback'].map((p) => ({
    program: join(binDir, p), debianPackage: 'containernetworking-plugins', what: `the CNI ${p} plugin`,
  }));
}

export const BUSYBOX_REQUIREMENT: Requirement = { program: '/bin/busybox', debianPackage: 'busybox-static', what: 'the static busybox the images are built from' };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of a program: itself when absolute, else the first hit on PATH (plus the sbin dirs). */
export function findProgram(program: string): string | undefined {
  if (program.startsWith('/')) return executable(program) ? program : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, program);
    if (executable(p)) return p;
  }
  return undefined;
}

/** The requirements not met. */
export function missingRequirements(reqs: readonly Requirement[]): Requirement[] {
  return reqs.filter((r) => !findProgram(r.program));
}

export class MissingPackagesError extends Error {
  readonly packages: string[];
  readonly missing: Requirement[];
  constructor(missing: Requirement[]) {
    const packages = [...new Set(missing.map((m) => m.debianPackage))];
    super(
      `missing ${missing.map((m) => `${m.program} (${m.what})`).join(', ')}; ` +
      `install the Debian package${packages.length > 1 ? 's' : ''}: apt-get install ${packages.join(' ')}`,
    );
    this.name = 'MissingPackagesError';
    this.packages = packages;
    this.missing = missing;
  }
}

/** Throws a `MissingPackagesError` naming the Debian packages to install when anything is missing. */
export function checkRequirements(reqs: readonly Requirement[]): void {
  const missing = missingRequirements(reqs);
  if (missing.length) throw new MissingPackagesError(missing);
}

import { homedir } from 'node:os';
import { join } from 'node:path';

/** `/var/lib/skiff` as root, else `~/.skiff` (as k3s). */
export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/skiff' : join(homedir(), '.skiff');
}

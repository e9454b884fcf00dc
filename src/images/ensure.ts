/** Makes sure the built-in images are in the node's containerd (built and imported when missing). */
import { createCriClient } from '../kubelet/runtime/cri/cri-client.js';
import type { BuildOptions, BuiltinImage } from './builtin.js';
import { BUSYBOX_REPOSITORY, PAUSE_IMAGES, buildBuiltinImage } from './builtin.js';
import { importImageArchive } from './ctr.js';

export interface EnsureResult {
  /** Built and imported now. */
  imported: BuiltinImage[];
  /** Already present. */
  present: BuiltinImage[];
}

const PROBE_TAG: Record<BuiltinImage, string> = {
  busybox: `${BUSYBOX_REPOSITORY}:latest`,
  pause: PAUSE_IMAGES[0] ?? 'registry.k8s.io/pause:3.10',
};

export async function ensureBuiltinImages(socket: string, names: readonly BuiltinImage[] = ['pause', 'busybox'], opts: BuildOptions = {}): Promise<EnsureResult> {
  const client = createCriClient({ endpoint: socket, defaultTimeoutMs: 30_000 });
  const result: EnsureResult = { imported: [], present: [] };
  try {
    for (const name of names) {
      const status = await client.image('ImageStatus', { image: { image: PROBE_TAG[name] } });
      if (status.image) {
        result.present.push(name);
        continue;
      }
      await importImageArchive(buildBuiltinImage(name, opts).archive, { socket });
      result.imported.push(name);
    }
  } finally {
    client.close();
  }
  return result;
}

/**
 * `skiff image build busybox|pause`, `skiff image import FILE.tar`, `skiff image ls`: images in
 * the node's private containerd (`<data-dir>/containerd/containerd.sock`, namespace `k8s.io`),
 * without any registry.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { WireImage } from '../kubelet/runtime/cri/wire.js';
import { BUILTIN_IMAGES, buildBuiltinImage } from '../images/builtin.js';
import type { BuiltinImage } from '../images/builtin.js';
import { importImageArchive } from '../images/ctr.js';
import { containerdPaths } from '../node/containerd/config.js';
import { defaultDataDir } from './paths.js';

interface SocketFlags {
  dataDir?: string;
  containerdSocket?: string;
}

function socketOf(o: SocketFlags): string {
  if (o.containerdSocket) return o.containerdSocket.replace(/^unix:\/\//, '');
  return containerdPaths(o.dataDir ?? defaultDataDir()).socket;
}

function socketOptions(cmd: Command): Command {
  const dataDir = process.env.SKIFF_DATA_DIR || defaultDataDir();
  return cmd
    .addOption(new Option('--data-dir <dir>', 'state directory (env SKIFF_DATA_DIR)').default(dataDir))
    .addOption(new Option('--containerd-socket <path>', 'containerd socket (default <data-dir>/containerd/containerd.sock)'));
}

async function checkSocket(socket: string): Promise<void> {
  // gRPC loads only for image commands, not for every `skiff` invocation.
  const { createCriClient } = await import('../kubelet/runtime/cri/cri-client.js');
  const client = createCriClient({ endpoint: socket, defaultTimeoutMs: 3_000 });
  try {
    await client.runtime('Version', {});
  } catch (e) {
    throw new Error(`containerd does not answer on ${socket} (${e instanceof Error ? e.message : String(e)}); start \`skiff server\` or \`skiff agent\` first, or use --output`);
  } finally {
    client.close();
  }
}

/** `1.06MB` as crictl prints sizes. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? String(v) : v.toFixed(3).replace(/\.?0+$/, '')}${units[i]}`;
}

/** One row per repo tag (or `<none>`), as `crictl images`. */
export function imageRows(images: WireImage[]): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const id = img.id.replace(/^sha256:/, '').slice(0, 13);
    const tags = img.repoTags.length ? img.repoTags : ['<none>:<none>'];
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = colon > t.lastIndexOf('/') ? t.slice(0, colon) : t;
      const tag = colon > t.lastIndexOf('/') ? t.slice(colon + 1) : '<none>';
      rows.push([repo, tag, id, humanSize(img.size)]);
    }
  }
  rows.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '') || (a[1] ?? '').localeCompare(b[1] ?? ''));
  return rows;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd()).join('\n') + '\n';
}

export function registerImageCommand(program: Command): void {
  const image = program.command('image').description('build, import and list images in the node\'s containerd');

  socketOptions(image.command('build')
    .description(`build a built-in image from Debian packages (${BUILTIN_IMAGES.join(', ')}) and import it`)
    .argument('<name>', BUILTIN_IMAGES.join(' | '))
    .option('-o, --output <file>', 'write the OCI archive to this file')
    .option('--no-import', 'do not import into containerd (with --output)')
    .option('--busybox <path>', 'the static busybox binary to use', '/bin/busybox'))
    .action(async (name: string, o: SocketFlags & { output?: string; import: boolean; busybox: string }) => {
      if (!(BUILTIN_IMAGES as readonly string[]).includes(name)) throw new Error(`unknown image ${JSON.stringify(name)}; known: ${BUILTIN_IMAGES.join(', ')}`);
      if (!o.import && !o.output) throw new Error('--no-import needs --output');
      const built = buildBuiltinImage(name as BuiltinImage, { busybox: o.busybox });
      if (o.output) {
        writeFileSync(o.output, built.archive);
        process.stdout.write(`wrote ${o.output} (${humanSize(built.archive.length)})\n`);
      }
      if (o.import) {
        const socket = socketOf(o);
        await checkSocket(socket);
        await importImageArchive(built.archive, { socket });
      }
      for (const t of built.tags) process.stdout.write(`${t} ${built.imageId}\n`);
    });

  socketOptions(image.command('import')
    .description('import an OCI or docker image archive (tar) into containerd\'s k8s.io namespace')
    .argument('<file>', 'image archive'))
    .action(async (file: string, o: SocketFlags) => {
      const socket = socketOf(o);
      await checkSocket(socket);
      const res = await importImageArchive(file, { socket });
      if (res.images.length === 0) throw new Error(`no named image in ${file}:\n${res.output.trim()}`);
      for (const name of res.images) process.stdout.write(`imported ${name}\n`);
    });

  socketOptions(image.command('ls').alias('list')
    .description('list the images the container runtime has')
    .option('-q, --quiet', 'only image ids'))
    .action(async (o: SocketFlags & { quiet?: boolean }) => {
      const socket = socketOf(o);
      const { createCriClient } = await import('../kubelet/runtime/cri/cri-client.js');
      const client = createCriClient({ endpoint: socket, defaultTimeoutMs: 10_000 });
      try {
        const { images } = await client.image('ListImages', {}).catch((e: unknown) => {
          throw new Error(`containerd does not answer on ${socket}: ${e instanceof Error ? e.message : String(e)}`);
        });
        if (o.quiet) process.stdout.write(images.map((i) => `${i.id}\n`).join(''));
        else process.stdout.write(table(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], imageRows(images)));
      } finally {
        client.close();
      }
    });
}

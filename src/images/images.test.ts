import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { buildBusyboxImage, buildPauseImage } from './builtin.js';
import { buildOciImage, referenceTag } from './oci.js';
import { createTar, readTarFiles } from './tar.js';

function sha(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

interface Index { manifests: { digest: string; annotations: Record<string, string>; platform: { os: string } }[] }
interface Manifest { config: { digest: string }; layers: { digest: string; mediaType: string }[] }
interface Config { rootfs: { diff_ids: string[] }; config: { Cmd?: string[]; Entrypoint?: string[] } }

function blobs(archive: Buffer): { files: Map<string, Buffer>; index: Index; manifest: Manifest; config: Config; layer: Map<string, Buffer> } {
  const files = readTarFiles(archive);
  const json = <T>(name: string): T => JSON.parse(files.get(name)?.toString('utf8') ?? 'null') as T;
  const index = json<Index>('index.json');
  const blob = (digest: string): Buffer => {
    const b = files.get(`blobs/sha256/${digest.slice(7)}`);
    assert.ok(b, `blob ${digest}`);
    assert.equal(sha(b), digest);
    return b;
  };
  const manifest = JSON.parse(blob(index.manifests[0]?.digest ?? '').toString('utf8')) as Manifest;
  const config = JSON.parse(blob(manifest.config.digest).toString('utf8')) as Config;
  const layerTar = gunzipSync(blob(manifest.layers[0]?.digest ?? ''));
  assert.equal(sha(layerTar), config.rootfs.diff_ids[0]);
  return { files, index, manifest, config, layer: readTarFiles(layerTar) };
}

test('tar: files round-trip, long paths use the ustar prefix', () => {
  const long = `${'d'.repeat(120)}/file.txt`;
  const tar = createTar([{ type: 'dir', path: 'a' }, { type: 'file', path: 'a/b', data: Buffer.from('hello') }, { type: 'symlink', path: 'a/c', target: '/a/b' }, { type: 'file', path: long, data: Buffer.alloc(600, 1) }]);
  assert.equal(tar.length % 512, 0);
  const files = readTarFiles(tar);
  assert.equal(files.get('a/b')?.toString(), 'hello');
  assert.equal(files.get(long)?.length, 600);
  assert.equal(files.has('a/c'), false);
});

test('OCI archive: index names every tag, digests and diff ids check out, builds are reproducible', () => {
  const opts = { tags: ['docker.io/library/x:latest', 'example.com/x:1'], layer: [{ type: 'file' as const, path: 'hi', data: Buffer.from('hi') }], config: { cmd: ['/hi'] }, created: 1_700_000_000 };
  const img = buildOciImage(opts);
  const { index, layer, config } = blobs(img.archive);
  assert.deepEqual(index.manifests.map((m) => m.annotations['io.containerd.image.name']), opts.tags);
  assert.deepEqual(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']), ['latest', '1']);
  assert.equal(index.manifests[0]?.platform.os, 'linux');
  assert.equal(layer.get('hi')?.toString(), 'hi');
  assert.deepEqual(config.config.Cmd, ['/hi']);
  assert.equal(buildOciImage(opts).archive.equals(img.archive), true);
  assert.equal(referenceTag('localhost:5000/a/b'), 'latest');
  assert.equal(referenceTag('localhost:5000/a/b:v2'), 'v2');
});

test('busybox and pause images from busybox-static', () => {
  assert.ok(existsSync('/bin/busybox'), 'busybox-static is not installed: apt-get install busybox-static (scripts/setup.sh does)');
  const bb = buildBusyboxImage();
  assert.ok(bb.tags.includes('docker.io/library/busybox:latest'));
  assert.ok(bb.tags.some((t) => /^docker\.io\/library\/busybox:\d+\.\d+$/.test(t)));
  const b = blobs(bb.archive);
  assert.ok(b.layer.get('bin/busybox'));
  assert.ok(b.layer.get('etc/passwd')?.toString().startsWith('root:'));
  assert.deepEqual(b.config.config.Cmd, ['sh']);
  const pause = buildPauseImage();
  assert.ok(pause.tags.includes('registry.k8s.io/pause:3.10'));
  assert.deepEqual(blobs(pause.archive).config.config.Entrypoint, ['/bin/busybox', 'sleep', 'infinity']);
});

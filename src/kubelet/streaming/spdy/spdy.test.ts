import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateSync } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import type { SpdyFrame } from './frames.js';
import { FrameParser, encodeFrame } from './frames.js';
import { HeaderCompressor, HeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock } from './header-block.js';
import type { SpdyStream } from './session.js';
import { startTestStreamingServer } from './test-streaming-server.js';
import { UpgradeFailedError, dialSpdy } from './dial.js';

test('the SPDY/3 dictionary is the 1423 bytes of the spec', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

test('every frame type survives encode → parse, also when bytes arrive one at a time', () => {
  const frames: SpdyFrame[] = [
    { type: 'data', streamId: 7, fin: true, data: Buffer.from('hello') },
    { type: 'data', streamId: 1, fin: false, data: Buffer.alloc(0) },
    { type: 'syn_stream', streamId: 3, associatedTo: 0, priority: 2, fin: false, unidirectional: true, headerBlock: Buffer.from([1, 2, 3]) },
    { type: 'syn_reply', streamId: 3, fin: true, headerBlock: Buffer.from([9]) },
    { type: 'headers', streamId: 5, fin: false, headerBlock: Buffer.from([4, 5]) },
    { type: 'rst_stream', streamId: 9, status: 5 },
    { type: 'settings', clear: false, entries: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] },
    { type: 'ping', id: 0xfffffffe },
    { type: 'goaway', lastGoodStreamId: 11, status: 0 },
    { type: 'window_update', streamId: 1, delta: 0x7fffffff },
  ];
  const wire = Buffer.concat(frames.map(encodeFrame));
  assert.deepEqual(new FrameParser().push(wire), frames);
  const p = new FrameParser();
  const got: SpdyFrame[] = [];
  for (const b of wire) got.push(...p.push(Buffer.from([b])));
  assert.deepEqual(got, frames);
});

test('control frames carry version 3 and the control bit; data frames do not', () => {
  const ping = encodeFrame({ type: 'ping', id: 1 });
  assert.deepEqual([...ping], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
  const data = encodeFrame({ type: 'data', streamId: 3, fin: true, data: Buffer.from('x') });
  assert.deepEqual([...data], [0, 0, 0, 3, 0x01, 0, 0, 1, 0x78]);
});

test('header blocks: lowercase names, NUL-joined values, zlib with the dictionary and one context per direction', async () => {
  const block = encodeHeaderBlock({ streamType: ['stdin'], multi: ['a', 'b'] });
  assert.deepEqual(decodeHeaderBlock(block), { streamtype: ['stdin'], multi: ['a', 'b'] });
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  try {
    const first = await c.compress({ streamtype: ['error'] });
    const second = await c.compress({ streamtype: ['stdout'] });
    // The first block alone inflates with the dictionary (a fresh context), and ends in a sync flush.
    assert.deepEqual(decodeHeaderBlock(inflateSync(first, { dictionary: SPDY3_DICTIONARY, finishFlush: 2 })), { streamtype: ['error'] });
    assert.deepEqual([...first.subarray(-4)], [0, 0, 0xff, 0xff]);
    assert.deepEqual(await d.decompress(first), { streamtype: ['error'] });
    assert.deepEqual(await d.decompress(second), { streamtype: ['stdout'] });
  } finally {
    c.close();
    d.close();
  }
});

function readAll(s: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.on('end', () => resolve(out));
  });
}

test('a client session opens streams in order, echoes data through a fake server and half-closes with FIN', async () => {
  const seen: string[] = [];
  const srv = await startTestStreamingServer((s) => {
    seen.push(`${s.id}:${s.headers.streamtype?.[0]}`);
    void s.reply().then(() => {
      if (s.headers.streamtype?.[0] === 'stdin') {
        // Echo stdin back in upper case until the client's FIN, then FIN ourselves.
        s.on('data', (c: Buffer) => s.write(c.toString().toUpperCase()));
        s.on('end', () => s.end());
      }
    });
  });
  try {
    const { session, protocol } = await dialSpdy(srv.url, ['v4.channel.k8s.io']);
    assert.equal(protocol, 'v4.channel.k8s.io');
    const err = await session.openStream({ streamtype: ['error'] });
    const stdin = await session.openStream({ streamtype: ['stdin'] });
    assert.deepEqual([err.id, stdin.id], [1, 3]);
    assert.deepEqual(seen, ['1:error', '3:stdin']);
    const echoed = readAll(stdin);
    stdin.write('hello ');
    stdin.end(Buffer.alloc(100_000, 'x'));
    const text = await echoed;
    assert.equal(text, `HELLO ${'X'.repeat(100_000)}`);
    await session.ping();
    session.close();
  } finally {
    await srv.close();
  }
});

test('the peer resetting a stream before replying fails openStream; the session ending ends the streams', async () => {
  const srv = await startTestStreamingServer((s, session) => {
    if (s.headers.streamtype?.[0] === 'bad') s.reset();
    else void s.reply().then(() => s.write('bye', () => session.destroy()));
  });
  try {
    const { session } = await dialSpdy(srv.url, ['v4.channel.k8s.io']);
    await assert.rejects(session.openStream({ streamtype: ['bad'] }), /reset/);
    const s = await session.openStream({ streamtype: ['stdout'] });
    assert.equal(await readAll(s), 'bye');
    await new Promise<void>((resolve) => (session.closed ? resolve() : session.once('close', () => resolve())));
    await assert.rejects(session.openStream({ streamtype: ['x'] }));
  } finally {
    await srv.close();
  }
});

test('a refused upgrade reports the status and body', async () => {
  const srv = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('no such session'));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = srv.address() as AddressInfo;
    await assert.rejects(dialSpdy(`http://127.0.0.1:${port}/exec/x`, ['v4.channel.k8s.io']), (e: unknown) => {
      assert.ok(e instanceof UpgradeFailedError);
      assert.equal(e.status, 404);
      assert.match(e.message, /no such session/);
      return true;
    });
  } finally {
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
});

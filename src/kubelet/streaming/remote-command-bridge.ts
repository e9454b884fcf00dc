/**
 * Joins a client's WebSocket remote-command session (v5/v4 channels) with the container
 * runtime's SPDY streams: stdin and resize messages go to the runtime, stdout and stderr come
 * back on channels 1 and 2. The runtime session is opened once the client is connected, so that
 * what the client sends first (a terminal's size) is queued and reaches the runtime right after
 * its streams exist, before the command gets far. Once the runtime finished every output stream
 * and the error stream, the Status it sent (exit code and all) goes out on channel 3 and the
 * WebSocket is closed normally; a runtime that cannot be reached gives a Failure Status; a client
 * that goes away ends the runtime session.
 */
import type { WebSocket } from 'ws';
import type { Readable } from 'node:stream';
import type { ChannelProtocol } from './websocket-channels.js';
import {
  CHANNEL_ERROR, CHANNEL_RESIZE, CHANNEL_STDERR, CHANNEL_STDIN, CHANNEL_STDOUT, channelMessage, parseChannelMessage,
} from './websocket-channels.js';
import type { RemoteCommandOptions, RuntimeStreams } from './runtime-remote-command.js';

/** Output buffered towards a slow client beyond which the runtime connection stops being read. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
/** WebSocket close code for a normal end. */
const CLOSE_NORMAL = 1000;

function ended(s: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (s.readableEnded || s.destroyed) resolve();
    s.once('end', resolve);
    s.once('close', resolve);
  });
}

/** A Status JSON as upstream's kubelet writes on the error channel for a failure. */
export function failureStatus(message: string): Buffer {
  return Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 }));
}

export async function bridgeRemoteCommand(
  ws: WebSocket, protocol: ChannelProtocol, opts: RemoteCommandOptions, open: () => Promise<RuntimeStreams>,
): Promise<void> {
  const early: Buffer[] = [];
  let rt: RuntimeStreams | undefined;
  let clientGone = false;
  const onMessage = (raw: Buffer | ArrayBuffer | Buffer[]): void => {
    const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (rt) deliver(ws, rt, protocol, msg);
    else early.push(msg);
  };
  ws.on('message', onMessage);
  ws.on('error', () => ws.terminate());
  ws.once('close', () => {
    clientGone = true;
    rt?.session.destroy();
  });
  // The greeting: an empty message on the lowest channel the client reads.
  ws.send(channelMessage(opts.stdout ? CHANNEL_STDOUT : opts.stderr ? CHANNEL_STDERR : CHANNEL_ERROR));
  try {
    rt = await open();
  } catch (err) {
    if (clientGone) return;
    const why = err instanceof Error ? err.message : String(err);
    ws.send(channelMessage(CHANNEL_ERROR, failureStatus(`error connecting to the container runtime's streaming server: ${why}`)));
    ws.close(CLOSE_NORMAL);
    return;
  }
  if (clientGone) {
    rt.session.destroy();
    return;
  }
  for (const msg of early.splice(0)) deliver(ws, rt, protocol, msg);
  await relay(ws, rt, () => clientGone);
}

/** One client message to the runtime stream it is for. */
function deliver(ws: WebSocket, rt: RuntimeStreams, protocol: ChannelProtocol, msg: Buffer): void {
  const ev = parseChannelMessage(msg, protocol);
  if (!ev) return;
  const target = ev.channel === CHANNEL_STDIN ? rt.stdin : ev.channel === CHANNEL_RESIZE ? rt.resize : undefined;
  if (!target || target.writableEnded) return;
  if (ev.kind === 'close') {
    target.end();
    return;
  }
  if (ev.data.length && !target.write(ev.data)) {
    ws.pause();
    target.once('drain', () => ws.resume());
  }
}

/** Runtime output to the client until the runtime is done; then the Status and a normal close. */
function relay(ws: WebSocket, rt: RuntimeStreams, clientGone: () => boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    let paused = false;
    const send = (channel: number, data?: Buffer): void => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(channelMessage(channel, data), () => {
        if (paused && ws.bufferedAmount < LOW_WATER) {
          paused = false;
          rt.session.resumeInput();
        }
      });
      if (!paused && ws.bufferedAmount > HIGH_WATER) {
        paused = true;
        rt.session.pauseInput();
      }
    };

    const outputs: [Readable | undefined, number][] = [[rt.stdout, CHANNEL_STDOUT], [rt.stderr, CHANNEL_STDERR]];
    for (const [stream, channel] of outputs) stream?.on('data', (d: Buffer) => send(channel, d));
    const status: Buffer[] = [];
    rt.error.on('data', (d: Buffer) => status.push(d));

    ws.once('close', () => resolve());
    const done = [rt.error, rt.stdout, rt.stderr].filter((s): s is NonNullable<typeof s> => s !== undefined).map(ended);
    void Promise.all(done).then(() => {
      rt.session.close();
      if (clientGone()) return;
      const body = Buffer.concat(status);
      if (body.length) send(CHANNEL_ERROR, body);
      ws.close(CLOSE_NORMAL);
      resolve();
    });
  });
}

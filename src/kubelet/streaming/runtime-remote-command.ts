/**
 * The client side of remote command protocol v4 over SPDY, towards a container runtime's
 * streaming server (the URL CRI `Exec`/`Attach` returned): the streams client-go creates, in its
 * order — error, then stdin, stdout and stderr as requested, then resize for a terminal — each
 * tagged with a `streamType` header, each opened once the previous one was answered.
 */
import type { SpdySession, SpdyStream } from './spdy/session.js';
import { dialSpdy } from './spdy/dial.js';

export const REMOTE_COMMAND_PROTOCOL_V4 = 'v4.channel.k8s.io';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface RuntimeStreams {
  session: SpdySession;
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

export async function openRuntimeRemoteCommand(url: string, opts: RemoteCommandOptions): Promise<RuntimeStreams> {
  const { session, protocol } = await dialSpdy(url, [REMOTE_COMMAND_PROTOCOL_V4]);
  try {
    if (protocol !== REMOTE_COMMAND_PROTOCOL_V4) throw new Error(`the container runtime chose stream protocol ${JSON.stringify(protocol)}, want ${REMOTE_COMMAND_PROTOCOL_V4}`);
    const open = (type: string): Promise<SpdyStream> => session.openStream({ streamtype: [type] });
    const error = await open('error');
    const streams: RuntimeStreams = { session, error };
    if (opts.stdin) streams.stdin = await open('stdin');
    if (opts.stdout) streams.stdout = await open('stdout');
    if (opts.stderr) streams.stderr = await open('stderr');
    if (opts.tty) streams.resize = await open('resize');
    return streams;
  } catch (err) {
    session.destroy();
    throw err;
  }
}

/** tcpSocket probes (upstream probe/tcp): success when a connection opens within the timeout. */
import { connect } from 'node:net';
import type { ProbeResult } from './probe-result.js';
import { dialErrorText, joinHostPort } from './probe-result.js';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const addr = joinHostPort(host, port);
  return new Promise((resolve) => {
    let done = false;
    const socket = connect({ host, port });
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ result: 'failure', output: dialErrorText(addr, undefined, true) }), timeoutMs);
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err) => finish({ result: 'failure', output: dialErrorText(addr, err, false) }));
  });
}

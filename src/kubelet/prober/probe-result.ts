/**
 * The outcome of one probe attempt as upstream's prober sees it: success, warning (counted as a
 * success, reported as a `ProbeWarning` event) or failure, with the text shown in events.
 */
export type ProbeResultKind = 'success' | 'warning' | 'failure';

export interface ProbeResult {
  result: ProbeResultKind;
  output: string;
}

/** Go's `net.JoinHostPort`. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's `time.Duration` text for whole or fractional seconds (`1s`, `1.5s`, `500ms`). */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${ms / 1000}s`;
  const m = Math.floor(ms / 60_000);
  const s = (ms % 60_000) / 1000;
  return m < 60 ? `${m}m${s}s` : `${Math.floor(m / 60)}h${m % 60}m${s}s`;
}

/** The Go error text a dial failure would show (`dial tcp 10.0.0.1:80: connect: connection refused`). */
export function dialErrorText(addr: string, err: unknown, timedOut: boolean): string {
  if (timedOut) return `dial tcp ${addr}: i/o timeout`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED': return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH': return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET': return `read tcp ${addr}: read: connection reset by peer`;
    case 'ETIMEDOUT': return `dial tcp ${addr}: i/o timeout`;
    default: return `dial tcp ${addr}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

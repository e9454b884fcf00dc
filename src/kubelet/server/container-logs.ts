/**
 * Reads a container's CRI log file (`<RFC3339Nano> stdout|stderr F|P <text>` per line, as
 * containerd writes it) and turns it into what `kubectl logs` prints: the text alone, or with
 * `timestamps` the RFC3339Nano time first. `tailLines`, `sinceTime` and `limitBytes` as upstream's
 * kuberuntime logs; `follow` keeps reading as the file grows (tail -f) until the container is no
 * longer running and everything written has been sent, or the reader goes away.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LogOptions {
  /** Last N lines only. */
  tailLines?: number;
  /** Only entries at or after this time (ms since the epoch). */
  sinceMs?: number;
  timestamps?: boolean;
  /** Stop after this many bytes. */
  limitBytes?: number;
  follow?: boolean;
}

export interface CriLogEntry {
  /** The RFC3339Nano timestamp as written. */
  time: string;
  ms: number;
  stream: 'stdout' | 'stderr';
  /** `F` (full line: a newline follows the text) or `P` (partial). */
  partial: boolean;
  text: string;
}

const LINE_RE = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/;

/** One CRI log line; undefined for a line that is not in the format. */
export function parseCriLogLine(line: string): CriLogEntry | undefined {
  const m = LINE_RE.exec(line);
  if (!m) return undefined;
  const ms = Date.parse(m[1]!);
  if (Number.isNaN(ms)) return undefined;
  return { time: m[1]!, ms, stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', text: m[4] ?? '' };
}

/** What one entry prints. */
export function formatEntry(e: CriLogEntry, timestamps: boolean): string {
  return `${timestamps ? `${e.time} ` : ''}${e.text}${e.partial ? '' : '\n'}`;
}

/** Entries kept by `sinceMs` and `tailLines` (a line is its partial entries plus the full one ending it). */
export function selectEntries(entries: CriLogEntry[], opts: Pick<LogOptions, 'sinceMs' | 'tailLines'>): CriLogEntry[] {
  let out = opts.sinceMs !== undefined ? entries.filter((e) => e.ms >= opts.sinceMs!) : entries;
  if (opts.tailLines !== undefined) {
    if (opts.tailLines <= 0) return [];
    const lines: CriLogEntry[][] = [];
    let current: CriLogEntry[] = [];
    for (const e of out) {
      current.push(e);
      if (!e.partial) {
        lines.push(current);
        current = [];
      }
    }
    if (current.length) lines.push(current);
    out = lines.slice(-opts.tailLines).flat();
  }
  return out;
}

/** Where the output goes; `write` returns false when the reader is gone (stop reading). */
export interface LogSink {
  write(text: string): Promise<boolean>;
}

/** Reads whole lines from a file as it grows. */
class LineReader {
  private fd: number;
  private pos = 0;
  private rest = '';
  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }
  /** New complete lines since the last call. */
  read(): string[] {
    const size = fstatSync(this.fd).size;
    if (size < this.pos) {
      // Truncated (rotated in place): start over.
      this.pos = 0;
      this.rest = '';
    }
    const chunks: string[] = [];
    const buf = Buffer.allocUnsafe(64 * 1024);
    while (this.pos < size) {
      const n = readSync(this.fd, buf, 0, Math.min(buf.length, size - this.pos), this.pos);
      if (n <= 0) break;
      this.pos += n;
      chunks.push(buf.toString('utf8', 0, n));
    }
    const text = this.rest + chunks.join('');
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Streams the log file at `path` to `sink`. With `follow`, polls for new lines every `pollMs` until
 * `running()` answers false (then one last read) or the sink is gone or `signal` aborts.
 */
export async function streamCriLog(path: string, opts: LogOptions, sink: LogSink, deps: {
  running?: () => Promise<boolean>;
  signal?: AbortSignal;
  pollMs?: number;
} = {}): Promise<void> {
  const reader = new LineReader(path);
  let budget = opts.limitBytes ?? Infinity;
  const timestamps = opts.timestamps === true;
  const send = async (entries: CriLogEntry[]): Promise<boolean> => {
    let text = '';
    for (const e of entries) text += formatEntry(e, timestamps);
    if (!text) return true;
    const bytes = Buffer.byteLength(text);
    if (bytes > budget) {
      const cut = Buffer.from(text).subarray(0, budget).toString('utf8');
      budget = 0;
      await sink.write(cut);
      return false;
    }
    budget -= bytes;
    const ok = await sink.write(text);
    return ok && budget > 0;
  };
  const parse = (lines: string[]): CriLogEntry[] => lines.map(parseCriLogLine).filter((e): e is CriLogEntry => e !== undefined);
  try {
    const first = selectEntries(parse(reader.read()), opts);
    if (!(await send(first)) || !opts.follow) return;
    const pollMs = deps.pollMs ?? 200;
    for (;;) {
      if (deps.signal?.aborted) return;
      const isRunning = deps.running ? await deps.running() : false;
      const next = parse(reader.read()).filter((e) => opts.sinceMs === undefined || e.ms >= opts.sinceMs);
      if (!(await send(next))) return;
      if (!isRunning) return;
      await sleep(pollMs);
    }
  } finally {
    reader.close();
  }
}

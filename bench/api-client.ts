/**
 * A minimal HTTPS client for the API server: keep-alive agent, admin client certificate from
 * `<dataDir>/tls/` (k3s file names, see src/apiserver/auth/pki.ts), JSON requests and a
 * newline-delimited JSON watch stream.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface ApiResponse {
  status: number;
  body: Buffer;
  /** ms from request start to the last body byte. */
  ms: number;
}

export interface WatchLine {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string } };
}

export interface WatchStream {
  close(): void;
  /** Resolves when the stream ends (closed by us or by the server). */
  ended: Promise<void>;
}

export class ApiClient {
  private readonly agent: Agent;
  private readonly tls: { cert: Buffer; key: Buffer; ca: Buffer };

  constructor(readonly port: number, dataDir: string, maxSockets = 16) {
    const tlsDir = join(dataDir, 'tls');
    this.tls = {
      cert: readFileSync(join(tlsDir, 'client-admin.crt')),
      key: readFileSync(join(tlsDir, 'client-admin.key')),
      ca: readFileSync(join(tlsDir, 'server-ca.crt')),
    };
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ...this.tls, rejectUnauthorized: false });
  }

  request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = request({
        host: '127.0.0.1', port: this.port, path, method, agent: this.agent,
        headers: {
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        },
      }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.request(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.toString().slice(0, 500)}`);
    return JSON.parse(res.body.toString()) as unknown;
  }

  /** Opens a watch on its own connection; resolves once the response headers (200) arrived. */
  watch(path: string, onLine: (line: WatchLine, receivedAt: number) => void): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: this.port, path, method: 'GET', agent: false, ...this.tls, rejectUnauthorized: false,
        headers: { Accept: 'application/json' },
      }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new Error(`watch ${path}: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 500)}`)));
          return;
        }
        let buf = '';
        const ended = new Promise<void>((r) => { res.on('end', r); res.on('close', r); res.on('error', () => r()); });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) onLine(JSON.parse(line) as WatchLine, at);
          }
        });
        resolve({ close: () => req.destroy(), ended });
      });
      req.on('error', (err) => reject(err));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

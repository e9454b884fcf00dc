/**
 * Lifecycle hook handlers (upstream lifecycle/handlers.go): `exec` runs through the runtime's
 * ExecSync (no timeout of its own), `httpGet` sends one GET to the pod (any answer counts: the
 * status code is not checked), `sleep` waits; `tcpSocket` is not a valid hook handler. A failure
 * returns upstream's message (`Exec lifecycle hook ([cmd]) for Container "c" in Pod "p_ns(uid)"
 * failed - error: …, message: "…"`).
 *
 * With `network: false` (simulated nodes, whose pod IPs are not real) httpGet hooks succeed
 * without sending anything.
 */
import type { Container, LifecycleHandler, Pod } from '../../apimachinery/generated/types.js';
import { formatPod } from '../pod-status.js';
import { ExecTimeoutError, execInContainer } from '../prober/exec-probe.js';
import { httpProbe } from '../prober/http-probe.js';
import { resolveContainerPort } from '../prober/real-prober.js';
import type { RuntimeService } from '../runtime/runtime.js';

export interface HookRequest {
  pod: Pod;
  container: Container;
  containerId: string;
  handler: LifecycleHandler;
  podIp: string;
  /** Aborts a sleep or HTTP hook (the grace period ran out). */
  signal?: AbortSignal;
}

export interface HookResult {
  ok: boolean;
  /** Why it failed (empty on success). */
  message: string;
}

export interface HandlerRunner {
  run(req: HookRequest): Promise<HookResult>;
}

export interface HandlerRunnerOptions {
  runtime: Pick<RuntimeService, 'execSync'>;
  /** Send httpGet hooks for real (default true). */
  network?: boolean;
  /** Longest an httpGet hook waits for an answer (ms); default 60 s. */
  httpTimeoutMs?: number;
}

/** Go's `%v` of a string slice. */
function goSlice(a: string[]): string {
  return `[${a.join(' ')}]`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error('context canceled'));
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Error('context canceled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createHandlerRunner(opts: HandlerRunnerOptions): HandlerRunner {
  const network = opts.network !== false;
  return {
    async run(req) {
      const { handler, container, pod } = req;
      const who = `for Container ${JSON.stringify(container.name)} in Pod ${JSON.stringify(formatPod(pod))}`;
      if (handler.exec) {
        const cmd = handler.exec.command ?? [];
        let error: string;
        let output = '';
        try {
          const r = await execInContainer(opts.runtime, req.containerId, cmd, 0);
          if (r.exitCode === 0) return { ok: true, message: '' };
          output = r.output;
          error = `command '${cmd.join(' ')}' exited with ${r.exitCode}: ${r.stderr}`;
        } catch (err) {
          error = err instanceof ExecTimeoutError || err instanceof Error ? err.message : String(err);
        }
        return { ok: false, message: `Exec lifecycle hook (${goSlice(cmd)}) ${who} failed - error: ${error}, message: ${JSON.stringify(output)}` };
      }
      if (handler.httpGet) {
        const h = handler.httpGet;
        const fail = (error: string): HookResult => ({ ok: false, message: `HTTP lifecycle hook (${h.path ?? ''}) ${who} failed - error: ${error}` });
        let port: number;
        try {
          port = resolveContainerPort(h.port, container);
        } catch (err) {
          return fail((err as Error).message);
        }
        if (!network) return { ok: true, message: '' };
        const r = await httpProbe({
          scheme: h.scheme ?? 'HTTP', host: h.host || req.podIp, port, path: h.path ?? '', headers: h.httpHeaders, timeoutMs: opts.httpTimeoutMs ?? 60_000,
        });
        if (r.result === 'failure' && !r.output.startsWith('HTTP probe failed with statuscode')) return fail(r.output);
        return { ok: true, message: '' };
      }
      if (handler.sleep) {
        try {
          await sleep(handler.sleep.seconds * 1000, req.signal);
          return { ok: true, message: '' };
        } catch (err) {
          return { ok: false, message: `Sleep lifecycle hook (${handler.sleep.seconds}) ${who} failed - error: ${(err as Error).message}` };
        }
      }
      return { ok: false, message: `Cannot run handler: invalid handler: ${JSON.stringify(handler)}` };
    },
  };
}

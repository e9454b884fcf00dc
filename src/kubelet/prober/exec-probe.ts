/**
 * exec probes and hooks run through the runtime's ExecSync (upstream probe/exec + the CRI
 * client): exit code 0 is success, anything else a failure whose output is what the command
 * printed; a command that outlives `timeoutSeconds` fails with `command "…" timed out`.
 */
import type { RuntimeService } from '../runtime/runtime.js';
import { RuntimeError } from '../runtime/runtime.js';
import type { ProbeResult } from './probe-result.js';

export interface ExecOutput {
  exitCode: number;
  output: string;
  stderr: string;
}

export class ExecTimeoutError extends Error {
  constructor(cmd: string[]) {
    super(`command ${JSON.stringify(cmd.join(' '))} timed out`);
    this.name = 'ExecTimeoutError';
  }
}

/** Runs `cmd` in the container; `timeoutSeconds` 0 means no limit. */
export async function execInContainer(runtime: Pick<RuntimeService, 'execSync'>, containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecOutput> {
  let timer: NodeJS.Timeout | undefined;
  const call = runtime.execSync({ containerId, cmd, timeout: timeoutSeconds });
  // The runtime enforces the timeout; this is a backstop should it not answer at all.
  const backstop = timeoutSeconds > 0 ? new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new ExecTimeoutError(cmd)), timeoutSeconds * 1000 + 2000);
  }) : undefined;
  try {
    const res = await (backstop ? Promise.race([call, backstop]) : call);
    const stdout = Buffer.from(res.stdout).toString('utf8');
    const stderr = Buffer.from(res.stderr).toString('utf8');
    return { exitCode: res.exitCode, output: stdout + stderr, stderr };
  } catch (err) {
    if (err instanceof RuntimeError && err.code === 'DeadlineExceeded') throw new ExecTimeoutError(cmd);
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    call.catch(() => {});
  }
}

export async function execProbe(runtime: Pick<RuntimeService, 'execSync'>, containerId: string, cmd: string[], timeoutSeconds: number): Promise<ProbeResult> {
  try {
    const r = await execInContainer(runtime, containerId, cmd, timeoutSeconds);
    return { result: r.exitCode === 0 ? 'success' : 'failure', output: r.output };
  } catch (err) {
    if (err instanceof ExecTimeoutError) return { result: 'failure', output: err.message };
    throw err;
  }
}

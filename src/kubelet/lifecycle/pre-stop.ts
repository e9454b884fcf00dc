/**
 * preStop inside the grace period (upstream executePreStopHook + killContainer): the hook gets at
 * most `gracePeriodSeconds`; what it used (whole seconds) comes off the time the runtime waits
 * between SIGTERM and SIGKILL, which never drops below the 2 s minimum.
 */
import type { HandlerRunner, HookRequest, HookResult } from './handlers.js';

export const MIN_GRACE_PERIOD_SECONDS = 2;

export interface PreStopOutcome {
  /** undefined when the hook did not finish within the grace period. */
  result: HookResult | undefined;
  elapsedSeconds: number;
  /** Seconds left for stopContainer. */
  remainingGraceSeconds: number;
}

export async function runPreStop(runner: HandlerRunner, req: Omit<HookRequest, 'signal'>, gracePeriodSeconds: number,
  now: () => number = Date.now): Promise<PreStopOutcome> {
  const start = now();
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve(undefined);
    }, gracePeriodSeconds * 1000);
  });
  let result: HookResult | undefined;
  try {
    result = await Promise.race([runner.run({ ...req, signal: ac.signal }), expired]);
  } finally {
    clearTimeout(timer);
  }
  const elapsedSeconds = Math.floor((now() - start) / 1000);
  return { result, elapsedSeconds, remainingGraceSeconds: Math.max(MIN_GRACE_PERIOD_SECONDS, gracePeriodSeconds - elapsedSeconds) };
}

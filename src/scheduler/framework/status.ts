/**
 * Plugin results (upstream framework.Status): a code, the reasons shown to users and the plugin
 * that produced it. Plugins return statuses, they never throw.
 */

export const Code = {
  Success: 0,
  /** Internal error: the pod is retried after back-off, preemption is not tried. */
  Error: 1,
  /** The node does not fit, but preemption might help. */
  Unschedulable: 2,
  /** The node does not fit and preemption cannot help. */
  UnschedulableAndUnresolvable: 3,
  /** Permit: wait for an allow or reject. */
  Wait: 4,
  /** PreFilter/PreScore/Bind: this plugin has nothing to do for the pod. */
  Skip: 5,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

const codeNames: Record<Code, string> = {
  0: 'Success',
  1: 'Error',
  2: 'Unschedulable',
  3: 'UnschedulableAndUnresolvable',
  4: 'Wait',
  5: 'Skip',
};

export class Status {
  private constructor(
    readonly code: Code,
    readonly reasons: readonly string[],
    readonly plugin: string,
  ) {}

  static readonly SUCCESS = new Status(Code.Success, [], '');
  static readonly SKIP = new Status(Code.Skip, [], '');

  static of(code: Code, ...reasons: string[]): Status {
    if (code === Code.Success && reasons.length === 0) return Status.SUCCESS;
    if (code === Code.Skip && reasons.length === 0) return Status.SKIP;
    return new Status(code, reasons, '');
  }

  static success(): Status {
    return Status.SUCCESS;
  }

  static skip(): Status {
    return Status.SKIP;
  }

  static error(err: unknown): Status {
    const msg = err instanceof Error ? err.message : String(err);
    return new Status(Code.Error, [msg], '');
  }

  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons, '');
  }

  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons, '');
  }

  static wait(...reasons: string[]): Status {
    return new Status(Code.Wait, reasons, '');
  }

  /** The same status attributed to `plugin` (kept when already attributed). */
  withPlugin(plugin: string): Status {
    if (this.plugin !== '' || this.code === Code.Success || this.code === Code.Skip) return this;
    return new Status(this.code, this.reasons, plugin);
  }

  isSuccess(): boolean {
    return this.code === Code.Success;
  }

  isSkip(): boolean {
    return this.code === Code.Skip;
  }

  isWait(): boolean {
    return this.code === Code.Wait;
  }

  /** Unschedulable or UnschedulableAndUnresolvable. */
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }

  isError(): boolean {
    return this.code === Code.Error;
  }

  /** Reasons joined by ", " (upstream Status.Message). */
  message(): string {
    return this.reasons.join(', ');
  }

  toString(): string {
    const msg = this.message();
    return msg ? `${codeNames[this.code]}: ${msg}` : codeNames[this.code];
  }
}

export function codeName(code: Code): string {
  return codeNames[code];
}

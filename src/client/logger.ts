/** The logging shape clients and controllers accept (structurally the CLI's logger). */
export interface Logger {
  error(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  debug(fields: Record<string, unknown>, msg: string): void;
}

/** Drops everything; the default when no logger is given. */
export const silentLogger: Logger = {
  error() {},
  info() {},
  debug() {},
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

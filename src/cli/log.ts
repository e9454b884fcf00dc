/** A small leveled JSON-lines logger on stderr (`-v N` raises the level). */

export interface Logger {
  level: number;
  error(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  debug(fields: Record<string, unknown>, msg: string): void;
}

function write(level: string, fields: Record<string, unknown>, msg: string): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
}

export const log: Logger = {
  level: 2,
  error(fields, msg) { write('error', fields, msg); },
  info(fields, msg) { if (this.level >= 1) write('info', fields, msg); },
  debug(fields, msg) { if (this.level >= 4) write('debug', fields, msg); },
};

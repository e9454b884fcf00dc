/**
 * Cron schedules as robfig/cron's ParseStandard reads them (the parser behind CronJobs): five
 * fields (minute hour day-of-month month day-of-week) with names, ranges, steps, `*` and `?`,
 * the `@yearly`…`@hourly` descriptors and `@every <duration>`, evaluated in an IANA time zone
 * (via Intl). Day-of-month and day-of-week are OR-ed unless either is `*`/`?` (then AND-ed).
 */

export interface CronSchedule {
  /** The first activation strictly after `afterMs` (ms since epoch), or undefined within 5 years none. */
  next(afterMs: number): number | undefined;
}

interface FieldSpec { min: number; max: number; names?: Record<string, number> }

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOWS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: FieldSpec[] = [
  { min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: MONTHS }, { min: 0, max: 6, names: DOWS },
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const MINUTE = 60_000;
const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: MINUTE, h: 3_600_000 };

export class CronParseError extends Error {}

interface Field { set: Set<number>; star: boolean }

function parseNumber(s: string, spec: FieldSpec): number {
  const named = spec.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(s)) throw new CronParseError(`failed to parse int from ${s}`);
  return Number(s);
}

function parseField(expr: string, spec: FieldSpec): Field {
  const set = new Set<number>();
  let star = false;
  for (const part of expr.split(',')) {
    const [range, stepText, ...extra] = part.split('/');
    if (extra.length > 0) throw new CronParseError(`too many slashes: ${part}`);
    let start: number;
    let end: number;
    let partStar = false;
    const bounds = (range ?? '').split('-');
    if (bounds[0] === '*' || bounds[0] === '?') {
      if (bounds.length > 1) throw new CronParseError(`failed to parse int from ${range}`);
      start = spec.min;
      end = spec.max;
      partStar = true;
    } else {
      if (bounds.length > 2) throw new CronParseError(`too many hyphens: ${part}`);
      start = parseNumber(bounds[0] ?? '', spec);
      end = bounds.length === 2 ? parseNumber(bounds[1] ?? '', spec) : start;
    }
    let step = 1;
    if (stepText !== undefined) {
      step = parseNumber(stepText, { min: 0, max: 0 });
      if (step === 0) throw new CronParseError(`step of range should be a positive number: ${part}`);
      // "N/step" means "N-max/step".
      if (bounds.length === 1 && !partStar) end = spec.max;
      if (step > 1) partStar = false;
    }
    if (start < spec.min) throw new CronParseError(`beginning of range (${start}) below minimum (${spec.min}): ${part}`);
    if (end > spec.max) throw new CronParseError(`end of range (${end}) above maximum (${spec.max}): ${part}`);
    if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
    for (let v = start; v <= end; v += step) set.add(v);
    if (partStar) star = true;
  }
  return { set, star };
}

function parseDuration(s: string): number {
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  if (matched !== s.length || s.length === 0) throw new CronParseError(`failed to parse duration @every ${s}`);
  return total;
}

/** Wall-clock fields of an instant in a time zone. */
interface Wall { year: number; month: number; day: number; hour: number; minute: number }

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallOf(ms: number, timeZone: string): Wall & { second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0 };
}

/** Offset (ms) of the zone at an instant: wall time read as UTC minus the instant. */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallOf(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant a wall-clock minute denotes in the zone (the earlier one in a DST fold). */
function instantOf(wallUtc: number, timeZone: string): number {
  let guess = wallUtc - offsetAt(wallUtc, timeZone);
  guess = wallUtc - offsetAt(guess, timeZone);
  return guess;
}

/** Checks that a time zone name is known to Intl (undefined/"" mean UTC for callers). */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule; `timeZone` defaults to UTC (the controller manager's local zone on these machines). */
export function parseCronSchedule(spec: string, timeZone = 'UTC'): CronSchedule {
  let s = spec.trim();
  if (s === '') throw new CronParseError('empty spec string');
  let tz = timeZone;
  const tzm = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(s);
  if (tzm) {
    tz = tzm[1] ?? tz;
    s = (tzm[2] ?? '').trim();
  }
  if (!isValidTimeZone(tz)) throw new CronParseError(`provided bad location ${tz}: unknown time zone ${tz}`);
  if (s.startsWith('@every ')) {
    const every = parseDuration(s.slice('@every '.length).trim());
    const delay = every < 1000 ? 1000 : Math.floor(every / 1000) * 1000;
    return { next: (after) => Math.floor(after / 1000) * 1000 + delay };
  }
  if (s.startsWith('@')) {
    const d = DESCRIPTORS[s];
    if (!d) throw new CronParseError(`unrecognized descriptor: ${s}`);
    s = d;
  }
  const parts = s.split(/\s+/);
  if (parts.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${parts.length}: ${s}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [Field, Field, Field, Field, Field];

  const dayMatches = (y: number, m: number, d: number): boolean => {
    const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    const domOk = dom.set.has(d);
    const dowOk = dow.set.has(weekday);
    return dom.star || dow.star ? domOk && dowOk : domOk || dowOk;
  };

  return {
    next(afterMs) {
      const w = wallOf(afterMs, tz);
      // Wall clock as a UTC timestamp, from the next whole minute.
      let t = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) + MINUTE;
      const limit = t + 5 * 366 * 24 * 60 * MINUTE;
      while (t < limit) {
        const d = new Date(t);
        const y = d.getUTCFullYear();
        const mo = d.getUTCMonth() + 1;
        if (!month.set.has(mo)) {
          t = Date.UTC(y, mo, 1);
          continue;
        }
        const day = d.getUTCDate();
        if (!dayMatches(y, mo, day)) {
          t = Date.UTC(y, mo - 1, day + 1);
          continue;
        }
        const h = d.getUTCHours();
        if (!hour.set.has(h)) {
          t = Date.UTC(y, mo - 1, day, h + 1);
          continue;
        }
        if (!minute.set.has(d.getUTCMinutes())) {
          t += MINUTE;
          continue;
        }
        const instant = instantOf(t, tz);
        // Skipped wall times (DST gap) map back to another wall time; a fold maps earlier.
        const back = wallOf(instant, tz);
        if (instant > afterMs && back.hour === h && back.minute === d.getUTCMinutes()) return instant;
        t += MINUTE;
      }
      return undefined;
    },
  };
}

/**
 * Standard 5-field cron schedules as upstream's robfig/cron ParseStandard accepts them
 * (minute hour day-of-month month day-of-week, names, ranges, steps, `?`, and `@` descriptors).
 * Returns the parser's error text, or undefined when valid.
 */

interface Bounds { min: number; max: number; names?: Record<string, number> }

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOWS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: MONTHS }, { min: 0, max: 6, names: DOWS },
];
const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function parseIntStrict(expr: string): number | string {
  if (!/^-?\d+$/.test(expr)) return `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`;
  const n = Number(expr);
  return n < 0 ? `negative number (${n}) not allowed: ${expr}` : n;
}

function mustParse(expr: string, b: Bounds): number | string {
  const named = b.names?.[expr.toLowerCase()];
  return named !== undefined ? named : parseIntStrict(expr);
}

function parseRange(expr: string, b: Bounds): string | undefined {
  const [rangePart, stepPart, ...extra] = expr.split('/');
  if (extra.length) return `too many slashes: ${expr}`;
  const lowHigh = rangePart!.split('-');
  let start: number;
  let end: number;
  if (lowHigh[0] === '*' || lowHigh[0] === '?') {
    if (lowHigh.length > 1) return `failed to parse int from ${rangePart}`;
    start = b.min;
    end = b.max;
  } else {
    const s = mustParse(lowHigh[0]!, b);
    if (typeof s === 'string') return s;
    start = s;
    end = s;
    if (lowHigh.length === 2) {
      const e = mustParse(lowHigh[1]!, b);
      if (typeof e === 'string') return e;
      end = e;
    } else if (lowHigh.length > 2) {
      return `too many hyphens: ${expr}`;
    }
  }
  if (stepPart !== undefined) {
    const st = parseIntStrict(stepPart);
    if (typeof st === 'string') return st;
    if (st === 0) return `step of range should be a positive number: ${expr}`;
  }
  if (start < b.min) return `beginning of range (${start}) below minimum (${b.min}): ${expr}`;
  if (end > b.max) return `end of range (${end}) above maximum (${b.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  return undefined;
}

const DURATION_RE = /^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$/;

export function cronScheduleError(spec: string): string | undefined {
  if (spec.trim() === '') return 'empty spec string';
  let s = spec.trim();
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const i = s.indexOf(' ');
    if (i < 0) return `provided bad location ${s.slice(s.indexOf('=') + 1)}: unknown time zone`;
    s = s.slice(i).trim();
  }
  if (s.startsWith('@')) {
    if (DESCRIPTORS.includes(s)) return undefined;
    if (s.startsWith('@every ')) {
      const d = s.slice('@every '.length).trim();
      return DURATION_RE.test(d) && d !== '0' ? undefined : `failed to parse duration ${s}: time: invalid duration ${JSON.stringify(d)}`;
    }
    return `unrecognized descriptor: ${s}`;
  }
  const fields = s.split(/\s+/);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: ${s}`;
  for (let i = 0; i < 5; i++) {
    for (const part of fields[i]!.split(',')) {
      const err = parseRange(part, FIELDS[i]!);
      if (err) return err;
    }
  }
  return undefined;
}

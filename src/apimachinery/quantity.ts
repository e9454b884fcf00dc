/**
 * Kubernetes resource quantities (upstream k8s.io/apimachinery/pkg/api/resource).
 * A value is kept exactly as `mantissa × 10^scale` (bigint mantissa), rounded up to nano precision
 * like upstream. The format (BinarySI, DecimalSI, DecimalExponent) comes from the parsed suffix
 * and drives the canonical string.
 */
import { badRequest } from './errors.js';

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const decimalByExp = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binaryByExp = new Map(Object.entries(binarySuffixes).map(([s, e]) => [e / 10, s]));

const MIN_SCALE = -9;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Division rounding away from zero (upstream rounds quantities "up"). */
function divUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a ? q : a < 0n ? q - 1n : q + 1n;
}

export class Quantity {
  private constructor(
    /** value = mantissa × 10^scale */
    readonly mantissa: bigint,
    readonly scale: number,
    readonly format: QuantityFormat,
  ) {}

  static fromParts(mantissa: bigint, scale: number, format: QuantityFormat): Quantity {
    if (scale < MIN_SCALE) {
      mantissa = divUp(mantissa, pow10(MIN_SCALE - scale));
      scale = MIN_SCALE;
    }
    if (mantissa === 0n) scale = 0;
    return new Quantity(mantissa, scale, format);
  }

  static fromNumber(n: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return parseQuantity(Number.isInteger(n) ? BigInt(n).toString() : String(n)).withFormat(format);
  }

  static fromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.fromParts(BigInt(milli), -3, format);
  }

  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.mantissa, this.scale, format);
  }

  isZero(): boolean {
    return this.mantissa === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.mantissa === 0n ? 0 : this.mantissa < 0n ? -1 : 1;
  }

  /** Value scaled to 10^targetScale, rounded away from zero. */
  scaledValue(targetScale: number): bigint {
    const d = this.scale - targetScale;
    return d >= 0 ? this.mantissa * pow10(d) : divUp(this.mantissa, pow10(-d));
  }

  /** Integer value rounded up (e.g. `1500m` → 2). */
  value(): number {
    return Number(this.scaledValue(0));
  }

  /** Value in thousandths, rounded up (CPU millicores). */
  milliValue(): number {
    return Number(this.scaledValue(-3));
  }

  /** Approximate floating point value. */
  asApproximateFloat64(): number {
    return Number(this.mantissa) * 10 ** this.scale;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    const s = Math.min(this.scale, other.scale);
    const a = this.scaledValue(s);
    const b = other.scaledValue(s);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  equals(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  add(other: Quantity): Quantity {
    const s = Math.min(this.scale, other.scale);
    const format = this.isZero() ? other.format : this.format;
    return Quantity.fromParts(this.scaledValue(s) + other.scaledValue(s), s, format);
  }

  sub(other: Quantity): Quantity {
    return this.add(other.neg());
  }

  neg(): Quantity {
    return new Quantity(-this.mantissa, this.scale, this.format);
  }

  /** Canonical string as upstream serializes it (`1500m` → `1500m`, `1000` → `1k`, `1536Mi`). */
  toString(): string {
    if (this.mantissa === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const within1024 = this.cmp(parseQuantity('-1024')) > 0 && this.cmp(parseQuantity('1024')) < 0;
      const integral = this.scale >= 0 || this.mantissa % pow10(-this.scale) === 0n;
      if (within1024 || !integral) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      let amount = this.scaledValue(0);
      let exp = 0;
      while (exp < 6 && amount % 1024n === 0n) {
        amount /= 1024n;
        exp++;
      }
      return `${amount}${binaryByExp.get(exp) ?? ''}`;
    }
    // Remove factors of ten, then bring the exponent to a multiple of three.
    let amount = this.mantissa;
    let exp = this.scale;
    while (amount % 10n === 0n) {
      amount /= 10n;
      exp++;
    }
    const rem = ((exp % 3) + 3) % 3;
    if (rem !== 0) {
      amount *= pow10(rem);
      exp -= rem;
    }
    if (format === 'DecimalSI') {
      const suffix = decimalByExp.get(exp);
      if (suffix !== undefined) return `${amount}${suffix}`;
    }
    return exp === 0 ? `${amount}` : `${amount}e${exp}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

const quantityRe = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)([a-zA-Z]*|[eE][+-]?\d+)$/;

/** Parses a quantity; throws a 400 StatusError with upstream's message when malformed. */
export function parseQuantity(input: string | number): Quantity {
  const q = tryParseQuantity(input);
  if (!q) throw badRequest(QUANTITY_FORMAT_ERROR);
  return q;
}

export function tryParseQuantity(input: string | number): Quantity | undefined {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return undefined;
    input = Number.isInteger(input) ? BigInt(input).toString() : String(input);
    // JS may render small/large floats in exponent form (1e-7), which the grammar accepts.
  }
  const s = input.trim() === input ? input : '';
  const m = quantityRe.exec(s);
  if (!m) return undefined;
  const [, signPart, num, suffix] = m as unknown as [string, string, string, string];
  const dot = num.indexOf('.');
  const intPart = dot < 0 ? num : num.slice(0, dot);
  const fracPart = dot < 0 ? '' : num.slice(dot + 1);
  let mantissa = BigInt((intPart + fracPart) || '0');
  let scale = -fracPart.length;
  if (signPart === '-') mantissa = -mantissa;
  let format: QuantityFormat;
  if (suffix in binarySuffixes) {
    mantissa *= 1n << BigInt(binarySuffixes[suffix]!);
    format = 'BinarySI';
  } else if (suffix in decimalSuffixes) {
    scale += decimalSuffixes[suffix]!;
    format = 'DecimalSI';
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    const e = Number(suffix.slice(1));
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1000) return undefined;
    scale += e;
    format = 'DecimalExponent';
  } else {
    return undefined;
  }
  return Quantity.fromParts(mantissa, scale, format);
}

/** Canonical form of a quantity string, or undefined when it does not parse. */
export function canonicalQuantity(input: string | number): string | undefined {
  return tryParseQuantity(input)?.toString();
}

export function compareQuantities(a: string | number, b: string | number): -1 | 0 | 1 {
  return parseQuantity(a).cmp(parseQuantity(b));
}

export function addQuantities(a: string | number, b: string | number): string {
  return parseQuantity(a).add(parseQuantity(b)).toString();
}

/** CPU style milli value (`100m` → 100, `1` → 1000), rounded up. */
export function milliValue(q: string | number): number {
  return parseQuantity(q).milliValue();
}

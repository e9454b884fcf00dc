/**
 * Label selectors (upstream k8s.io/apimachinery/pkg/labels): the string syntax
 * `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>1` and metav1.LabelSelector objects.
 * Parse errors are 400 StatusErrors whose messages follow upstream's parser.
 */
import { badRequest } from './errors.js';
import { isPlainObject } from './object.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** True for the selector that matches everything (no requirements). */
  readonly empty: boolean;
  /** False for the selector that matches nothing (a nil LabelSelector). */
  matches(labels: Record<string, string> | undefined): boolean;
  toString(): string;
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key]! : '';
  switch (r.operator) {
    case 'in': case '=': case '==':
      return has && r.values.includes(v);
    case 'notin': case '!=':
      return !has || !r.values.includes(v);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt': case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(v)) return false;
      const lv = BigInt(v);
      const rv = BigInt(r.values[0]!);
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': case 'notin': return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt': return `${r.key}>${r.values[0]}`;
    case 'lt': return `${r.key}<${r.values[0]}`;
    default: return `${r.key}${r.operator}${r.values[0]}`;
  }
}

class RequirementsSelector implements LabelSelector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

class NothingSelector implements LabelSelector {
  readonly requirements: readonly LabelRequirement[] = [];
  readonly empty = false;
  matches(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
}

export function everything(): LabelSelector {
  return new RequirementsSelector([]);
}

export function nothing(): LabelSelector {
  return new NothingSelector();
}

/** Equality selector from a map (`matchLabels`, service selectors). */
export function selectorFromSet(set: Record<string, string> | undefined): LabelSelector {
  return new RequirementsSelector(sortRequirements(
    Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] }))));
}

function sortRequirements(rs: LabelRequirement[]): LabelRequirement[] {
  return rs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- validation of a requirement (upstream NewRequirement) ----

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
  return String(v);
}

function fieldInvalid(path: string, value: unknown, detail: string): string {
  return `${path}: Invalid value: ${goValue(value)}: ${detail}`;
}

/** Builds a requirement; throws an Error carrying upstream's aggregate message when invalid. */
export function newRequirement(key: string, operator: LabelOperator, values: string[], path = ''): LabelRequirement {
  const errs: string[] = [];
  const keyPath = path ? `${path}.key` : 'key';
  const valuePath = path ? `${path}.values` : 'values';
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(fieldInvalid(keyPath, key, keyErrs.join('; ')));
  switch (operator) {
    case 'in': case 'notin':
      if (values.length === 0) errs.push(fieldInvalid(valuePath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) errs.push(fieldInvalid(valuePath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists': case '!':
      if (values.length !== 0) errs.push(fieldInvalid(valuePath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) errs.push(fieldInvalid(valuePath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) errs.push(fieldInvalid(`${valuePath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  values.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(fieldInvalid(`${valuePath}[${i}][${key}]`, v, vErrs.join('; ')));
  });
  if (errs.length) throw new Error(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
  return { key, operator, values };
}

// ---- lexer ----

type Tok =
  | 'ident' | 'eos' | 'error' | 'notExists' | 'eq' | 'deq' | 'neq' | 'gt' | 'lt' | 'in' | 'notin'
  | 'open' | 'close' | 'comma';

interface Token { tok: Tok; lit: string }

const specials: [string, Tok][] = [
  ['!=', 'neq'], ['==', 'deq'], ['!', 'notExists'], ['=', 'eq'], ['>', 'gt'], ['<', 'lt'],
  ['(', 'open'], [')', 'close'], [',', 'comma'],
];
const specialChars = new Set(['!', '=', '>', '<', '(', ')', ',']);
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (true) {
    while (i < s.length && isWhitespace(s[i]!)) i++;
    if (i >= s.length) {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    const c = s[i]!;
    if (specialChars.has(c)) {
      const sp = specials.find(([lit]) => s.startsWith(lit, i))!;
      out.push({ tok: sp[1], lit: sp[0] });
      i += sp[0].length;
      continue;
    }
    let j = i;
    while (j < s.length && !isWhitespace(s[j]!) && !specialChars.has(s[j]!)) j++;
    const word = s.slice(i, j);
    out.push({ tok: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'ident', lit: word });
    i = j;
  }
}

type Ctx = 'keyAndOperator' | 'values';

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private adjust(t: Token, ctx: Ctx): Token {
    return ctx === 'values' && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'ident', lit: t.lit } : t;
  }
  lookahead(ctx: Ctx): Token {
    return this.adjust(this.tokens[this.pos]!, ctx);
  }
  consume(ctx: Ctx): Token {
    const t = this.tokens[this.pos]!;
    if (this.pos < this.tokens.length - 1) this.pos++;
    return this.adjust(t, ctx);
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    while (true) {
      const t = this.lookahead('values');
      if (t.tok === 'eos') return reqs;
      if (t.tok !== 'ident' && t.tok !== 'notExists') {
        throw new Error(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.parseRequirement());
      } catch (e) {
        throw new Error(`unable to parse requirement: ${(e as Error).message}`);
      }
      const next = this.consume('values');
      if (next.tok === 'eos') return reqs;
      if (next.tok !== 'comma') throw new Error(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.lookahead('values');
      if (after.tok !== 'ident' && after.tok !== 'notExists') {
        throw new Error(`found '${after.lit}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    let t = this.consume('values');
    let op: LabelOperator | undefined;
    if (t.tok === 'notExists') {
      op = '!';
      t = this.consume('values');
    }
    if (t.tok !== 'ident') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(fieldInvalid('<nil>', key, keyErrs.join('; ')));
    const la = this.lookahead('values').tok;
    if (la === 'eos' || la === 'comma') {
      return newRequirement(key, op ?? 'exists', []);
    }
    if (op === '!') return newRequirement(key, op, []);
    const opTok = this.consume('keyAndOperator');
    switch (opTok.tok) {
      case 'in': op = 'in'; break;
      case 'notin': op = 'notin'; break;
      case 'eq': op = '='; break;
      case 'deq': op = '=='; break;
      case 'neq': op = '!='; break;
      case 'gt': op = 'gt'; break;
      case 'lt': op = 'lt'; break;
      default:
        throw new Error(`found '${opTok.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, [...new Set(values)].sort());
  }

  private parseValues(): string[] {
    const t = this.consume('values');
    if (t.tok !== 'open') throw new Error(`found '${t.lit}' expected: '('`);
    const la = this.lookahead('values');
    if (la.tok === 'ident' || la.tok === 'comma') {
      const s = this.parseIdentifiersList();
      const close = this.consume('values');
      if (close.tok !== 'close') throw new Error(`found '${la.lit}', expected: ')'`);
      return s;
    }
    if (la.tok === 'close') {
      this.consume('values');
      return [''];
    }
    throw new Error(`found '${la.lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const s: string[] = [];
    while (true) {
      const t = this.consume('values');
      if (t.tok === 'ident') {
        s.push(t.lit);
        const n = this.lookahead('values');
        if (n.tok === 'comma') continue;
        if (n.tok === 'close') return s;
        throw new Error(`found '${n.lit}', expected: ',' or ')'`);
      } else if (t.tok === 'comma') {
        if (s.length === 0) s.push('');
        const n = this.lookahead('values');
        if (n.tok === 'close') {
          s.push('');
          return s;
        }
        if (n.tok === 'comma') {
          this.consume('values');
          s.push('');
        }
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const la = this.lookahead('values');
    if (la.tok === 'eos' || la.tok === 'comma') return [''];
    const t = this.consume('values');
    if (t.tok === 'ident') return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/** Parses the string syntax; an empty string selects everything. Throws a 400 StatusError. */
export function parseLabelSelector(s: string): LabelSelector {
  try {
    return new RequirementsSelector(sortRequirements(new Parser(lex(s)).parse()));
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

/**
 * metav1.LabelSelectorAsSelector: undefined/null selects nothing, `{}` selects everything.
 * Throws a 400 StatusError for an unknown operator or invalid key/values.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return nothing();
  if (!isPlainObject(sel as unknown)) throw badRequest('invalid label selector');
  const reqs: LabelRequirement[] = [];
  try {
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
    for (const e of sel.matchExpressions ?? []) {
      let op: LabelOperator;
      switch (e.operator) {
        case 'In': op = 'in'; break;
        case 'NotIn': op = 'notin'; break;
        case 'Exists': op = 'exists'; break;
        case 'DoesNotExist': op = '!'; break;
        default: throw new Error(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
      }
      reqs.push(newRequirement(e.key, op, [...new Set(e.values ?? [])].sort()));
    }
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return new RequirementsSelector(sortRequirements(reqs));
}

/** Convenience: does a LabelSelector object (or string) select these labels? */
export function selectorMatches(sel: LabelSelectorObject | string | null | undefined, labels: Record<string, string> | undefined): boolean {
  return (typeof sel === 'string' ? parseLabelSelector(sel) : labelSelectorFromObject(sel)).matches(labels);
}

/** Renders a LabelSelector object in string syntax (e.g. for `status.selector` of scale). */
export function formatLabelSelector(sel: LabelSelectorObject | null | undefined): string {
  if (sel === null || sel === undefined) return '<none>';
  const s = labelSelectorFromObject(sel);
  return s.empty ? '' : s.toString();
}

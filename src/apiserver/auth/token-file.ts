/**
 * Static token file (`--token-auth-file`), upstream's CSV format:
 *
 *     token,user,uid,"group1,group2"
 *
 * At least three columns; the fourth (optional) is a comma-separated group list; further columns
 * are ignored. Blank lines and lines starting with `#` are skipped. Rows with an empty token are
 * skipped; a repeated token keeps the last row (both as upstream does).
 */
import { readFileSync } from 'node:fs';

export interface TokenUser {
  username: string;
  uid: string;
  groups: string[];
}

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

/** Parses the file's text; `source` only names the file in error messages. */
export function parseTokenFile(text: string, source = 'token file'): Map<string, TokenUser> {
  const tokens = new Map<string, TokenUser>();
  for (const { line, fields } of parseCsv(text, source)) {
    if (fields.length < 3) {
      throw new TokenFileError(
        `${source}:${line}: must have at least 3 columns (token, user name, user uid), found ${fields.length}`,
      );
    }
    const [token, username, uid, groupField] = fields as [string, string, string, string?];
    if (token === '') continue;
    const groups = groupField === undefined ? [] : groupField.split(',').filter((g) => g !== '');
    tokens.set(token, { username, uid, groups });
  }
  return tokens;
}

export function loadTokenFile(file: string): Map<string, TokenUser> {
  return parseTokenFile(readFileSync(file, 'utf8'), file);
}

interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

/**
 * RFC 4180 style CSV: fields may be quoted, `""` inside quotes is one quote, quoted fields may span
 * lines. A line whose first character is `#` is a comment; an empty line is no record.
 */
export function parseCsv(text: string, source = 'csv'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;

  while (i < n) {
    const startLine = line;
    // Whole-line comments and blank lines.
    if (text[i] === '#') {
      while (i < n && text[i] !== '\n') i++;
      i++;
      line++;
      continue;
    }
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }

    const fields: string[] = [];
    let field = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new TokenFileError(`${source}:${startLine}: unterminated quoted field`);
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new TokenFileError(`${source}:${line}: extraneous "${text[i]}" after quoted field`);
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') {
            throw new TokenFileError(`${source}:${line}: bare " in non-quoted field`);
          }
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      field = '';
      if (i >= n) {
        endOfRecord = true;
      } else if (text[i] === ',') {
        i++;
      } else {
        i += text[i] === '\r' ? 2 : 1;
        line++;
        endOfRecord = true;
      }
    }
    records.push({ line: startLine, fields });
  }
  return records;
}

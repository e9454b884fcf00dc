/** Opaque list continuation tokens, in upstream's shape: base64 JSON {v, rv, start}. */
import { badRequest } from '../../apimachinery/errors.js';

export interface ContinueToken {
  revision: number;
  /** The key to start at (inclusive). */
  startKey: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.revision, start: t.startKey })).toString('base64url');
}

export function decodeContinue(s: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string') throw new Error('bad');
    return { revision: raw.rv, startKey: raw.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

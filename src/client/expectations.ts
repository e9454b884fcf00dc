/**
 * Controller expectations (as kube-controller-manager's ControllerExpectations): before creating
 * or deleting N objects for a controller key, raise expectations; watch events lower them. Until
 * they are met (or have been waiting longer than the TTL, 5 minutes) the controller makes no new
 * creates or deletes for that key, so a slow watch never causes duplicates. Failed requests must
 * lower the expectation they raised.
 */

export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

export interface ExpectationRecord {
  add: number;
  del: number;
  /** When the expectations were last set (ms since epoch). */
  timestamp: number;
}

export interface Expectations {
  /** Replaces any record for `key`. */
  setExpectations(key: string, add: number, del: number): void;
  expectCreations(key: string, adds: number): void;
  expectDeletions(key: string, dels: number): void;
  /** Adds to an existing record (no-op when there is none). */
  raiseExpectations(key: string, add: number, del: number): void;
  lowerExpectations(key: string, add: number, del: number): void;
  creationObserved(key: string): void;
  deletionObserved(key: string): void;
  /** True when there is no record, it is fulfilled, or it expired (TTL). */
  satisfiedExpectations(key: string): boolean;
  getExpectations(key: string): ExpectationRecord | undefined;
  deleteExpectations(key: string): void;
}

export function createExpectations(opts: { ttlMs?: number; now?: () => number } = {}): Expectations {
  const ttl = opts.ttlMs ?? EXPECTATIONS_TTL_MS;
  const now = opts.now ?? Date.now;
  const records = new Map<string, ExpectationRecord>();

  const set = (key: string, add: number, del: number): void => {
    records.set(key, { add, del, timestamp: now() });
  };
  const lower = (key: string, add: number, del: number): void => {
    const r = records.get(key);
    if (!r) return;
    r.add -= add;
    r.del -= del;
  };

  return {
    setExpectations: set,
    expectCreations(key, adds) {
      set(key, adds, 0);
    },
    expectDeletions(key, dels) {
      set(key, 0, dels);
    },
    raiseExpectations(key, add, del) {
      const r = records.get(key);
      if (!r) return;
      r.add += add;
      r.del += del;
    },
    lowerExpectations: lower,
    creationObserved(key) {
      lower(key, 1, 0);
    },
    deletionObserved(key) {
      lower(key, 0, 1);
    },
    satisfiedExpectations(key) {
      const r = records.get(key);
      if (!r) return true;
      if (r.add <= 0 && r.del <= 0) return true;
      return now() - r.timestamp > ttl;
    },
    getExpectations(key) {
      const r = records.get(key);
      return r ? { ...r } : undefined;
    },
    deleteExpectations(key) {
      records.delete(key);
    },
  };
}

/**
 * Per-cycle scratch space shared by the plugins of one scheduling attempt. Each plugin owns its
 * keys: a `StateKey` is compared by identity, so a key that is not exported is private.
 */

/** Values that change during preemption dry runs implement `clone()`; others are shared. */
export interface Cloneable<T> {
  clone(): T;
}

export class StateKey<T> {
  declare private readonly brand: T;
  constructor(readonly description: string) {}
}

function isCloneable(v: unknown): v is Cloneable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { clone?: unknown }).clone === 'function';
}

export class CycleState {
  private readonly values = new Map<StateKey<unknown>, unknown>();
  /** Plugins whose PreFilter returned Skip: their Filter is not run. */
  readonly skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore returned Skip: their Score is not run. */
  readonly skipScorePlugins = new Set<string>();

  read<T>(key: StateKey<T>): T | undefined {
    return this.values.get(key as StateKey<unknown>) as T | undefined;
  }

  write<T>(key: StateKey<T>, value: T): void {
    this.values.set(key as StateKey<unknown>, value);
  }

  delete<T>(key: StateKey<T>): void {
    this.values.delete(key as StateKey<unknown>);
  }

  /** A copy for "what if" evaluation (preemption): values with `clone()` are deep-copied. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.values) c.values.set(k, isCloneable(v) ? v.clone() : v);
    for (const p of this.skipFilterPlugins) c.skipFilterPlugins.add(p);
    for (const p of this.skipScorePlugins) c.skipScorePlugins.add(p);
    return c;
  }
}

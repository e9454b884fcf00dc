/** Command-line options whose defaults may come from `SKIFF_<NAME>` environment variables. */
import { Option } from 'commander';

export function env(name: string): string | undefined {
  const v = process.env[`SKIFF_${name}`];
  return v === undefined || v === '' ? undefined : v;
}

/** An option whose default comes from SKIFF_<NAME> first, then the built-in default. */
export function opt(flags: string, description: string, envName: string, fallback?: string): Option {
  const o = new Option(flags, `${description} (env SKIFF_${envName})`);
  const v = env(envName) ?? fallback;
  if (v !== undefined) o.default(v);
  return o;
}

export function boolEnv(name: string): boolean {
  const v = env(name);
  return v === 'true' || v === '1';
}

/** The readable table and the JSON document of one benchmark run. */
import { round } from './stats.js';

export interface Metric {
  id: string;
  label: string;
  backend?: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineLabel?: string;
  /** value / baseline. */
  ratio?: number;
  /** Which direction is good for `value` (and so for `ratio`). */
  better: 'lower' | 'higher';
  goal?: string;
  pass?: boolean;
  note?: string;
}

export function metric(m: Omit<Metric, 'ratio'>): Metric {
  const ratio = m.baseline !== undefined && m.baseline !== 0 && Number.isFinite(m.baseline) ? m.value / m.baseline : undefined;
  return { ...m, value: round(m.value, 2), baseline: m.baseline === undefined ? undefined : round(m.baseline, 2), ratio: ratio === undefined ? undefined : round(ratio, 3) };
}

function fmt(n: number | undefined, unit = ''): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  const abs = Math.abs(n);
  const s = abs >= 1000 ? Math.round(n).toLocaleString('en-US') : abs >= 100 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : n.toFixed(2);
  return unit ? `${s} ${unit}` : s;
}

export function renderTable(metrics: readonly Metric[]): string {
  const header = ['metric', 'backend', 'ours', 'baseline', 'ratio', 'goal', ''];
  const rows = metrics.map((m) => [
    m.label,
    m.backend ?? '',
    fmt(m.value, m.unit),
    m.baseline === undefined ? '-' : `${fmt(m.baseline, m.unit)} (${m.baselineLabel ?? ''})`,
    m.ratio === undefined ? '-' : `${m.ratio.toFixed(2)}x`,
    m.goal ?? '',
    m.pass === undefined ? '' : m.pass ? 'ok' : 'MISS',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

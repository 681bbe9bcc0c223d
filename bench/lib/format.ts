import type { Spread } from './stats.js';

/** Markdown table from a header row and body rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Integer with thousands separators. */
export function int(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
}

/** Milliseconds: one decimal below 100, none above. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v < 100 ? v.toFixed(1) : int(v);
}

export function ratio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(3)}×` : 'n/a';
}

/** `+12.3 %` for a ratio of 1.123. */
export function percentOver(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const p = (v - 1) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)} %`;
}

/** `p25–p75` of a spread, formatted. */
export function iqr(s: Spread | undefined, f: (v: number) => string): string {
  return s ? `${f(s.p25)} – ${f(s.p75)}` : 'n/a';
}

export function kib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : 'n/a';
}

export function perSec(v: number): string {
  return `${int(v)}/s`;
}

import { describe, expect, it } from 'vitest';
import { benchConfig } from '../../bench/lib/config.js';
import { table } from '../../bench/lib/format.js';
import { quantile, summarize } from '../../bench/lib/stats.js';

describe('bench harness', () => {
  it('summarize gives the median, quartiles and MAD of unsorted samples', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ median: 3, p25: 2, p75: 4, mad: 1, min: 1, max: 5, n: 5 });
    expect(quantile([10, 20], 0.5)).toBe(15);
    expect(Number.isNaN(summarize([]).median)).toBe(true);
  });

  it('BENCH_QUICK shrinks the run and env overrides win; bad values are refused', () => {
    const full = benchConfig({});
    const quick = benchConfig({ BENCH_QUICK: '1', BENCH_ROUNDS: '3' });
    expect(quick.quick).toBe(true);
    expect(quick.rounds).toBe(3);
    expect(quick.allocOps).toBeLessThan(full.allocOps);
    expect(full.scaleServers).toBe(1_000);
    expect(() => benchConfig({ BENCH_ROUNDS: 'many' })).toThrow(/BENCH_ROUNDS/);
  });

  it('table renders a markdown table', () => {
    expect(table(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });
});

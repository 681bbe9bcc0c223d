import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { MetricsCollector } from '../../src/observe/metrics.js';
import { escapeLabelValue } from '../../src/observe/prometheus.js';

// The text exposition format, line by line: comments, then `name{labels} value`.
const COMMENT = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/;
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

function parse(text: string) {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: { name: string; labels: string; value: string }[] = [];
  for (const line of text.trimEnd().split('\n')) {
    const comment = COMMENT.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      if (kind === 'TYPE') {
        expect(types.has(name!), `TYPE ${name} twice`).toBe(false);
        expect(['counter', 'gauge', 'summary']).toContain(rest);
        types.set(name!, rest!);
      } else helps.add(name!);
      continue;
    }
    const sample = SAMPLE.exec(line);
    expect(sample, `not a valid sample line: ${line}`).not.toBeNull();
    const name = sample![1]!;
    const family = [...types.keys()].find((f) => name === f || name === `${f}_sum` || name === `${f}_count`);
    expect(family, `sample ${name} before its TYPE`).toBeDefined();
    expect(helps.has(family!)).toBe(true);
    samples.push({ name, labels: sample![2] ?? '', value: sample![3]! });
  }
  for (const [name, type] of types) if (type === 'counter') expect(name).toMatch(/_total$/);
  return { types, samples };
}

describe('toPrometheus', () => {
  it('renders counters, a duration summary with quantiles, gauges, with HELP/TYPE and escaped labels', async () => {
    const clock = new SimulatedClock();
    const metrics = new MetricsCollector({ clock });
    const events = new Subject<RuntimeEvent>();
    metrics.observe(events);
    const call = { at: 0, source: 'server:a', server: 'a', callId: 1, attempt: 1 };
    const weird = 'say "hi"\\n\nnext';
    events.next({ ...call, type: 'call.succeeded', tool: weird, durationMs: 250, isError: false });
    events.next({
      ...call,
      type: 'call.failed',
      tool: weird,
      durationMs: 1500,
      error: { kind: 'timeout', code: 'TIMEOUT', message: 'x', retryable: true },
    });
    events.next({ ...call, type: 'connection.state', server: 'a', from: 'ready', to: 'reconnecting' });
    events.next({ ...call, type: 'breaker.transition', breaker: 'a', from: 'closed', to: 'open' });
    await metrics.recordExecution('task_execution', () => clock.increment(2000));

    const text = metrics.toPrometheus();
    const { types, samples } = parse(text);
    expect(Object.fromEntries(types)).toMatchObject({
      azcore_operations_total: 'counter',
      azcore_operation_errors_total: 'counter',
      azcore_operation_duration_seconds: 'summary',
      azcore_reconnects_total: 'counter',
      azcore_breaker_openings_total: 'counter',
      azcore_server_up: 'gauge',
    });
    const label = `tool="${escapeLabelValue(weird)}"`;
    expect(label).toBe('tool="say \\"hi\\"\\\\n\\nnext"');
    expect(text).toContain(
      `azcore_operations_total{operation="tool_call",server="a",${label},outcome="success"} 1`,
    );
    expect(text).toContain(
      `azcore_operation_errors_total{operation="tool_call",server="a",${label},kind="timeout"} 1`,
    );
    expect(text).toContain(
      `azcore_operation_duration_seconds{operation="tool_call",server="a",${label},quantile="0.99"} 1.5`,
    );
    expect(text).toContain(
      `azcore_operation_duration_seconds_sum{operation="tool_call",server="a",${label}} 1.75`,
    );
    expect(text).toContain(
      `azcore_operation_duration_seconds_count{operation="tool_call",server="a",${label}} 2`,
    );
    expect(text).toContain('azcore_operation_duration_seconds_sum{operation="task_execution"} 2');
    expect(text).toContain('azcore_reconnects_total{server="a"} 1');
    expect(text).toContain('azcore_breaker_openings_total{breaker="a"} 1');
    expect(text).toContain('azcore_breaker_open{breaker="a"} 1');
    expect(samples.length).toBeGreaterThan(15);
  });

  it('takes a prefix and rejects one that is not a metric name', () => {
    const metrics = new MetricsCollector();
    metrics.record({ operation: 'op', ok: true, durationMs: 1 });
    expect(metrics.toPrometheus({ prefix: 'app_mcp' })).toContain(
      'app_mcp_operations_total{operation="op",outcome="success"} 1',
    );
    const error = (() => {
      try {
        return metrics.toPrometheus({ prefix: '9lives' });
      } catch (e) {
        return e;
      }
    })();
    expect(isConfigurationError(error)).toBe(true);
  });

  it('renders nothing but a newline before any event', () => {
    expect(new MetricsCollector().toPrometheus()).toBe('\n');
  });
});

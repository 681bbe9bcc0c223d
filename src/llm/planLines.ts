/** One `use: tool {"json":"args"}` line of a task. Without JSON, arguments come from the tool's schema. */
export interface PlanStep {
  readonly tool: string;
  readonly args: Record<string, unknown> | undefined;
}

/** A `use:` line that could not be read. */
export interface PlanProblem {
  readonly line: string;
  readonly problem: string;
}

/** A task split into its explicit plan and the rest of its text. */
export interface TaskPlan {
  readonly steps: PlanStep[];
  readonly problems: PlanProblem[];
  /** The task without its `use:` lines. */
  readonly text: string;
}

// Optional list marker ("-", "*", "1.", "2)"), then "use:", the tool name, then optional JSON arguments.
const PLAN_LINE = /^\s*(?:[-*]\s+|\d+[.)]\s+)?use:\s*(\S+)\s*(.*)$/i;

function parseArgs(json: string): Record<string, unknown> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    return `arguments are not valid JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'arguments must be a JSON object';
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads the explicit plan of a task: every line `use: server__tool {"json":"args"}`, in order.
 *
 * @example
 * parseTaskPlan('Check the file.\nuse: fs__read_file {"path":"/tmp/a"}').steps;
 * // [{ tool: 'fs__read_file', args: { path: '/tmp/a' } }]
 */
export function parseTaskPlan(task: string): TaskPlan {
  const steps: PlanStep[] = [];
  const problems: PlanProblem[] = [];
  const rest: string[] = [];
  for (const line of task.split(/\r?\n/)) {
    const match = PLAN_LINE.exec(line);
    if (!match) {
      rest.push(line);
      continue;
    }
    const tool = match[1] ?? '';
    const json = (match[2] ?? '').trim();
    if (json === '') {
      steps.push({ tool, args: undefined });
      continue;
    }
    const args = parseArgs(json);
    if (typeof args === 'string') problems.push({ line: line.trim(), problem: args });
    else steps.push({ tool, args });
  }
  return { steps, problems, text: rest.join('\n').trim() };
}

/** Words that chain steps inside one sentence: "read the file and then summarize it". */
const STEP_JOINERS = /\s*(?:;|,?\s+and then\s+|,?\s+then\s+|,?\s+after that,?\s+|,?\s+afterwards,?\s+)/i;

/** `use: server__tool {json}` plan lines are one step each and never cut (their JSON may hold ". "). */
const PLAN_LINE = /^\s*(?:[-*]\s+|\d+[.)]\s+)?use:/i;

function sentencesAndSteps(line: string): string[] {
  return line.split(/(?<=[.!?])\s+(?=\S)/).flatMap((sentence) => sentence.split(STEP_JOINERS));
}

/**
 * Splits a task into smaller steps, the default of the "split into subtasks" recovery: one step per
 * line, per sentence, and per "and then" / "then" / "after that" / ";" inside a sentence; `use:` plan
 * lines stay whole. Empty
 * pieces are dropped; a task with one step comes back as one piece.
 *
 * @example
 * splitTask('Read notes.txt and then summarize it. Save the summary.')
 * // ['Read notes.txt', 'summarize it.', 'Save the summary.']
 */
export function splitTask(task: string): string[] {
  return task
    .split(/\r?\n/)
    .flatMap((line) => (PLAN_LINE.test(line) ? [line] : sentencesAndSteps(line)))
    .map((piece) => piece.trim())
    .filter((piece) => piece.length > 0);
}

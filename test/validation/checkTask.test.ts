import { beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { retry } from '../../src/policy/retry.js';
import { wrap } from '../../src/policy/wrap.js';
import type { MCPTeam } from '../../src/team/MCPTeam.js';
import { checkTask } from '../../src/validation/checkTask.js';
import { isValidationError } from '../../src/validation/ValidationError.js';
import { cleanupTeamsAfterAll, planTeam } from '../recovery/recoveryKit.js';

// The guide's execute_with_validation on the one runner:
// team.run(checked.task, { policy: wrap(checked.policy, retry(...)), timeoutMs }).
cleanupTeamsAfterAll();
let team: MCPTeam;
beforeAll(async () => {
  team = await planTeam('validated');
});

describe('checkTask + team.run', () => {
  it('rejects bad input without calling the team, listing every problem', async () => {
    const checked = checkTask('', { target: 1 }, { params: { required: ['action'] } });
    expect(isValidationError(checked.error)).toBe(true);
    const seen: RuntimeEvent[] = [];
    const sub = team.events$.subscribe((e) => seen.push(e));
    const outcome = await team.run(checked.task, {
      policy: wrap(checked.policy, retry({ maxAttempts: 3 })),
      timeoutMs: 5_000,
    });
    sub.unsubscribe();
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(checked.error);
    expect(outcome.error?.kind).toBe('input');
    expect(outcome.attempts).toEqual([]);
    expect(outcome.error?.message).toMatch(/Parameter 'task' is too short/);
    expect(outcome.error?.message).toMatch(/Missing required keys: action/);
    expect(seen.filter((e) => e.type === 'model.call.started' || e.type === 'call.started')).toEqual([]);
  });

  it('passes the validated params on to the team (the guide dropped them)', async () => {
    const checked = checkTask(
      'use: files__echo',
      { text: 'from params' },
      { params: { required: ['text'], fields: { text: { type: 'string', maxLength: 50 } } } },
    );
    expect(checked.error).toBeUndefined();
    expect(checked.params).toEqual({ text: 'from params' });
    const seen: string[] = [];
    const sub = team.events$.subscribe((e) => seen.push(e.type));
    const outcome = await team.run(checked.task, { policy: wrap(checked.policy, retry({ maxAttempts: 3 })) });
    sub.unsubscribe();
    expect(outcome.status).toBe('success');
    // the events the rejected run above must not show do show for a run that reaches the team
    expect(seen).toEqual(expect.arrayContaining(['model.call.started', 'call.started']));
    expect(outcome.attempts).toHaveLength(1);
    if (outcome.status === 'success') {
      expect(String(outcome.value.messages[0]?.content)).toMatch(
        /Parameters \(JSON\): \{"text":"from params"\}/,
      );
    }
  });

  it('format writes the checked (coerced) params into the task the model reads', async () => {
    const checked = checkTask(
      'use: files__echo',
      { text: 'formatted' },
      {
        params: { fields: { text: { type: 'string' } } },
        format: (task, params) => `${task} ${JSON.stringify(params)}`,
      },
    );
    expect(checked.task).toBe('use: files__echo {"text":"formatted"}');
    const outcome = await team.run(checked.task, { policy: checked.policy });
    expect(outcome.status).toBe('success');
    if (outcome.status === 'success') expect(outcome.value.answer).toMatch(/formatted/);
  });
});

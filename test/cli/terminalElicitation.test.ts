import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fieldPrompt, formFields, parseAnswer } from '../../src/cli/formFields.js';
import { terminalElicitation } from '../../src/cli/terminalElicitation.js';
import type { ElicitRequestParams } from '../../src/protocol/serverRequests.js';

/** A fake terminal: what the user types goes into `input`; the transcript is read from `output`. */
function terminal(isTTY: boolean | undefined) {
  const input = Object.assign(new PassThrough(), { isTTY });
  const output = new PassThrough();
  let transcript = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  output.setEncoding('utf8').on('data', (chunk: string) => {
    transcript += chunk;
    for (const w of [...waiters]) {
      if (w.pattern.test(transcript)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    input,
    output,
    transcript: () => transcript,
    /** Resolves once the transcript matches (a prompt is shown). */
    shown: (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        if (pattern.test(transcript)) resolve();
        else waiters.push({ pattern, resolve });
      }),
    type: (line: string) => input.write(`${line}\n`),
  };
}
const context = (signal = new AbortController().signal) => ({ server: 'fx', signal });
const form = (requestedSchema: Record<string, unknown>, message = 'Tell me'): ElicitRequestParams =>
  ({ message, requestedSchema }) as ElicitRequestParams;

const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Full name', minLength: 2 },
    age: { type: 'integer', minimum: 0, maximum: 150, description: 'in years' },
    subscribe: { type: 'boolean', default: false },
    color: {
      type: 'string',
      oneOf: [
        { const: 'r', title: 'Red' },
        { const: 'g', title: 'Green' },
      ],
    },
    tags: { type: 'array', items: { enum: ['a', 'b', 'c'] } },
    nickname: { type: 'string' },
  },
  required: ['name', 'age', 'color'],
};

describe('form fields', () => {
  it('describe each field in its prompt', () => {
    expect(formFields(SCHEMA).map(fieldPrompt)).toEqual([
      '  Full name (string, required): ',
      '  age – in years (integer, required): ',
      '  subscribe (y/n, default false): ',
      '  color (one of: r (Red), g (Green), required): ',
      '  tags (any of: a, b, c, comma-separated): ',
      '  nickname (string): ',
    ]);
  });

  it('parse answers against the schema, saying what is wrong', () => {
    const [name, age, subscribe, color, tags] = formFields(SCHEMA);
    expect(parseAnswer(name!, 'A')).toEqual({ ok: false, problem: 'enter at least 2 characters' });
    expect(parseAnswer(age!, '4.5')).toEqual({ ok: false, problem: 'enter a whole number' });
    expect(parseAnswer(age!, '200')).toEqual({ ok: false, problem: 'enter at most 150' });
    expect(parseAnswer(age!, ' 42 ')).toEqual({ ok: true, value: 42 });
    expect(parseAnswer(subscribe!, 'Yes')).toEqual({ ok: true, value: true });
    expect(parseAnswer(subscribe!, 'maybe')).toEqual({ ok: false, problem: 'answer y or n' });
    expect(parseAnswer(color!, 'green')).toEqual({ ok: true, value: 'g' });
    expect(parseAnswer(color!, 'blue')).toEqual({ ok: false, problem: 'choose one of: r, g' });
    expect(parseAnswer(tags!, 'a, c')).toEqual({ ok: true, value: ['a', 'c'] });
    expect(parseAnswer(tags!, 'a, z')).toEqual({ ok: false, problem: 'choose one of: a, b, c' });
  });
});

describe('terminalElicitation', () => {
  it('asks field by field: re-asks a bad answer, empty takes the default or leaves an optional field out', async () => {
    const tty = terminal(false);
    const asker = terminalElicitation({ mode: 'ask', input: tty.input, output: tty.output });
    const answer = asker.handler(form(SCHEMA, 'Sign up'), context());
    for (const line of ['Ada', 'old', '36', '', 'Red', 'b', '']) tty.type(line);
    expect(await answer).toEqual({
      action: 'accept',
      content: { name: 'Ada', age: 36, subscribe: false, color: 'r', tags: ['b'] },
    });
    expect(tty.transcript()).toBe(
      [
        'fx asks: Sign up',
        '  Full name (string, required): Ada',
        '  age – in years (integer, required): old',
        '  enter a number; try again (empty declines)',
        '  age – in years (integer, required): 36',
        '  subscribe (y/n, default false): ',
        '  color (one of: r (Red), g (Green), required): Red',
        '  tags (any of: a, b, c, comma-separated): b',
        '  nickname (string): ',
        '',
      ].join('\n'),
    );
    asker.close();
  });

  it('one question at a time: concurrent elicitations are asked in turn', async () => {
    const tty = terminal(false);
    const asker = terminalElicitation({ mode: 'ask', input: tty.input, output: tty.output });
    const one = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    const first = asker.handler(form(one, 'First?'), context());
    const second = asker.handler(form(one, 'Second?'), context());
    await tty.shown(/First\?\n {2}name \(string, required\): $/);
    expect(tty.transcript()).not.toContain('Second?');
    tty.type('one');
    await tty.shown(/Second\?\n {2}name \(string, required\): $/);
    tty.type('two');
    expect(await first).toEqual({ action: 'accept', content: { name: 'one' } });
    expect(await second).toEqual({ action: 'accept', content: { name: 'two' } });
    asker.close();
  });

  it('a cancelled request stops waiting for the answer: cancel', async () => {
    const tty = terminal(false);
    const asker = terminalElicitation({ mode: 'ask', input: tty.input, output: tty.output });
    const controller = new AbortController();
    const answer = asker.handler(
      { mode: 'url', message: 'Sign in', url: 'https://example.com/x', elicitationId: 'e1' },
      context(controller.signal),
    );
    await tty.shown(/confirm here \[y\/N\]: $/);
    controller.abort();
    expect(await answer).toEqual({ action: 'cancel' });
    expect(tty.transcript()).toMatch(/\[y\/N\]: \n {2}the request was cancelled: cancelled\n$/);
    asker.close();
  });

  it('input that ends before an answer: cancel', async () => {
    const tty = terminal(false);
    const asker = terminalElicitation({ mode: 'ask', input: tty.input, output: tty.output });
    tty.input.end();
    expect(await asker.handler(form(SCHEMA), context())).toEqual({ action: 'cancel' });
    expect(tty.transcript()).toMatch(/no more input: cancelled\n$/);
    asker.close();
  });

  it('server text cannot drive the terminal: control characters are printed as spaces', async () => {
    const tty = terminal(false);
    const asker = terminalElicitation({ mode: 'decline', input: tty.input, output: tty.output });
    await asker.handler(form({}, 'Hi\u001b[2J\u001b]0;pwned\u0007 there'), context());
    expect(tty.transcript()).toBe(
      'azcore: fx asked "Hi [2J ]0;pwned  there" (a form); declined (--elicitation decline).\n',
    );
  });

  it('auto without a terminal declines at once and never reads the input', async () => {
    const tty = terminal(undefined);
    const asker = terminalElicitation({ mode: 'auto', input: tty.input, output: tty.output });
    expect(await asker.handler(form(SCHEMA, 'Sign up'), context())).toEqual({ action: 'decline' });
    expect(tty.transcript()).toBe(
      'azcore: fx asked "Sign up" (a form: name, age, subscribe, color, tags, nickname); declined because stdin is not a terminal (pass --elicitation ask to answer from stdin).\n',
    );
    expect(tty.input.listenerCount('data')).toBe(0);
    asker.close();
  });
});

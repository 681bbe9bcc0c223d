import { describe, expect, it } from 'vitest';
import { splitTask } from '../../src/recovery/splitTask.js';

describe('splitTask', () => {
  it('splits on lines, sentences, "and then", "then", "after that" and ";"', () => {
    expect(splitTask('Read notes.txt and then summarize it. Save the summary.')).toEqual([
      'Read notes.txt',
      'summarize it.',
      'Save the summary.',
    ]);
    expect(splitTask('echo a; echo b, then add 1 and 2\n\nafter that, stop')).toEqual([
      'echo a',
      'echo b',
      'add 1 and 2',
      'after that, stop',
    ]);
  });

  it('keeps use: plan lines whole and one-step tasks as one piece', () => {
    expect(splitTask('Remember X.\nuse: a__b {"x":"1. Then y"}')).toEqual([
      'Remember X.',
      'use: a__b {"x":"1. Then y"}',
    ]);
    expect(splitTask('Search the web for v1.2 and summarize')).toEqual([
      'Search the web for v1.2 and summarize',
    ]);
    expect(splitTask('  \n ')).toEqual([]);
  });
});

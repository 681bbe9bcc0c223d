import { describe, expect, it } from 'vitest';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { loadLangChain } from '../../src/llm/loadLangChain.js';

/** An error as Node's loader throws it when a package cannot be resolved. */
function notFound(code: 'ERR_MODULE_NOT_FOUND' | 'MODULE_NOT_FOUND', message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('loadLangChain', () => {
  it('resolves what the loader resolves', async () => {
    await expect(loadLangChain('op', async () => ({ ok: 1 }))).resolves.toEqual({ ok: 1 });
  });

  it.each([
    [
      'ESM',
      notFound('ERR_MODULE_NOT_FOUND', "Cannot find package '@langchain/core' imported from /app/x.js"),
    ],
    ['CommonJS', notFound('MODULE_NOT_FOUND', "Cannot find module '@langchain/core/messages'")],
  ])(
    'turns a missing @langchain/core (%s) into a ConfigurationError naming the operation and the fix',
    async (_, cause) => {
      const error = await loadLangChain('Building team "t"', () => Promise.reject(cause)).catch(
        (e: unknown) => e,
      );
      expect(isConfigurationError(error)).toBe(true);
      expect(error).toMatchObject({
        kind: 'configuration',
        message: expect.stringMatching(
          /^Building team "t" needs the package '@langchain\/core', which is not installed\./,
        ),
        hint: expect.stringContaining('npm install @langchain/core'),
        cause,
      });
    },
  );

  it('lets other failures through as they are: a package missing inside @langchain/core, a bug in the module', async () => {
    const inside = notFound(
      'ERR_MODULE_NOT_FOUND',
      "Cannot find package 'langsmith' imported from /app/node_modules/@langchain/core/dist/x.js",
    );
    await expect(loadLangChain('op', () => Promise.reject(inside))).rejects.toBe(inside);
    const bug = new TypeError('x is not a function');
    await expect(loadLangChain('op', () => Promise.reject(bug))).rejects.toBe(bug);
  });
});

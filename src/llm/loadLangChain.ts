import { ConfigurationError } from '../errors/ConfigurationError.js';

const PACKAGE = '@langchain/core';

/**
 * `@langchain/core` is an optional peer of azcore: the root and azcore/connection load none of it,
 * so a connection-only app does not install it (with its js-tiktoken and langsmith, about half of an
 * install). What needs it (a team's build, createChatModel()) loads its LangChain-backed modules
 * through here on first use, and a missing package is a ConfigurationError naming the operation and
 * the fix instead of a raw ERR_MODULE_NOT_FOUND. `load` is the caller's own `import()`, so the
 * import stays in the folder it belongs to. Node caches the loaded modules: later calls cost a
 * resolved promise.
 *
 * @example const { RuleBasedChatModel } = await loadLangChain('createChatModel()', () => import('./RuleBasedChatModel.js'));
 */
export async function loadLangChain<T>(operation: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw isLangChainMissing(e) ? langChainMissing(operation, e) : e;
  }
}

/** True when `e` is Node's failure to find `@langchain/core` itself (ESM or CommonJS resolution). */
function isLangChainMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // "Cannot find package '@langchain/core' imported from ..." (or '@langchain/core/messages' for
  // CommonJS); a package missing *inside* an installed @langchain/core names that package instead.
  return new RegExp(`'${PACKAGE}(/[^']*)?'`).test(String((e as { message?: unknown }).message ?? e));
}

/** The error a LangChain-backed operation fails with when `@langchain/core` is not installed. */
function langChainMissing(operation: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(`${operation} needs the package '${PACKAGE}', which is not installed.`, {
    cause,
    hint: `Run \`npm install ${PACKAGE}\` (an optional peer of azcore: teams, chat models and LangChain tools need it; azcore/connection does not).`,
  });
}

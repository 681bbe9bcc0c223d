#!/usr/bin/env node
// The `azcore` bin. Everything lives in program.ts; this file only sets the exit code. Every command
// opens a team, so the CLI needs @langchain/core (an optional peer of the package): without it, one
// line saying what to install and exit code 78, not a stack trace of ERR_MODULE_NOT_FOUND.
import { isConfigurationError } from '../errors/ConfigurationError.js';
import { loadLangChain } from '../llm/loadLangChain.js';
import { EXIT } from './exitCodes.js';

try {
  const { runCli } = await loadLangChain('The azcore CLI', () => import('./program.js'));
  process.exitCode = await runCli(process.argv);
} catch (e) {
  if (!isConfigurationError(e)) throw e;
  process.stderr.write(`azcore: ${e.message}\n`);
  process.exitCode = EXIT.config;
}

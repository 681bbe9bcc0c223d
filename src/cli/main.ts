#!/usr/bin/env node
// The `azcore` bin. Everything lives in program.ts; this file only sets the exit code.
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);

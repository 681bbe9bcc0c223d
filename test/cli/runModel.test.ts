import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatOpenAI } from '@langchain/openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chatModelFrom } from '../../src/cli/options.js';
import { runCli } from '../../src/cli/program.js';
import { STDIO_SERVER_PATH } from '../fixtures/index.js';
import { DUMMY_KEY, OpenAiServer } from '../llm/openaiServer.js';
import { useTempDir } from '../support/tempDir.js';
import { type CliOutput, captureCliOutput } from './cliOutput.js';

/** `azcore run --model ...` in-process, against our stdio MCP fixture and a local OpenAI stand-in. */
describe('azcore run --model offline|openai', () => {
  const dir = useTempDir('azcore-cli-model-');
  const config = join(dir, 'mcp.json');
  writeFileSync(
    config,
    JSON.stringify({ mcpServers: { local: { command: process.execPath, args: [STDIO_SERVER_PATH] } } }),
  );
  const servers: OpenAiServer[] = [];
  let io: CliOutput = { out: '', err: '' };
  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    for (const s of servers.splice(0)) await s.close();
  });
  const cli = (...args: string[]) => {
    io = captureCliOutput();
    return runCli(['node', 'azcore', 'run', '--config', config, ...args]);
  };
  const openAiStandIn = async () => {
    const s = await OpenAiServer.start('unauthorized');
    servers.push(s);
    return s;
  };

  it('offline by default: an exported OPENAI_API_KEY and OPENAI_BASE_URL are never contacted', async () => {
    const openai = await openAiStandIn();
    vi.stubEnv('OPENAI_API_KEY', DUMMY_KEY);
    vi.stubEnv('OPENAI_BASE_URL', openai.baseURL);
    expect(await cli('use: local__echo {"text":"offline hello"}')).toBe(0);
    expect(io.err).toMatch(/^model: offline$/m);
    expect(io.out).toMatch(/offline hello/);
    expect(openai.requests).toEqual([]);
  }, 30_000);

  it('--model openai without OPENAI_API_KEY: a ConfigurationError naming the variable, before any server starts', async () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    expect(await cli('--model', 'openai', 'do something')).toBe(78);
    expect(io.err).toMatch(/^azcore: The openai model provider needs OPENAI_API_KEY, which is not set\./m);
    expect(io.err).not.toMatch(/connecting to/);
  });

  it('--model openai with --base-url and --model-name: a refused key ends the run with an error naming the provider', async () => {
    const openai = await openAiStandIn();
    vi.stubEnv('OPENAI_API_KEY', DUMMY_KEY);
    const code = await cli(
      '--model',
      'openai',
      '--model-name',
      'gpt-test',
      '--base-url',
      openai.baseURL,
      'echo hello',
    );
    expect(code).toBe(1);
    expect(io.err).toMatch(/^model: openai \(gpt-test\)$/m);
    expect(io.err).toMatch(
      /^azcore: The openai model "gpt-test" refused the credentials \(HTTP 401: Incorrect API key provided: \*\*\*\)\. Check OPENAI_API_KEY/m,
    );
    expect(io.err).not.toContain(DUMMY_KEY);
    expect(openai.requests.map((r) => r.url)).toEqual(['/v1/chat/completions']);
    expect(openai.requests[0]?.body).toMatchObject({ model: 'gpt-test' });
  }, 30_000);

  it("the openai model of the CLI retries a failed request twice (not LangChain's six times)", () => {
    const model = chatModelFrom(
      { model: 'openai', modelName: 'gpt-test', baseUrl: 'http://127.0.0.1:1/v1' },
      { OPENAI_API_KEY: DUMMY_KEY },
    );
    expect(model).toBeInstanceOf(ChatOpenAI);
    expect(model).toMatchObject({ caller: { maxRetries: 2 } });
    expect(model).toMatchObject({ model: 'gpt-test', clientConfig: { baseURL: 'http://127.0.0.1:1/v1' } });
  });

  it('bad choices are usage errors: an unknown provider, and openai-only flags with the offline model', async () => {
    expect(await cli('--model', 'claude', 'x')).toBe(64);
    expect(io.err).toMatch(/Allowed choices are offline, openai/);
    expect(await cli('--model-name', 'gpt-test', 'x')).toBe(64);
    expect(io.err).toMatch(/--model-name and --base-url apply to --model openai only/);
  });

  it('--help names the flag and what each choice means', async () => {
    expect(await cli('--help')).toBe(0);
    expect(io.out).toMatch(
      /-m, --model <provider>[\s\S]*?choices:\s+"offline", "openai", default: "offline"/,
    );
    expect(io.out).toMatch(/--model-name <name>[\s\S]*--base-url <url>/);
    expect(io.out).toMatch(/OPENAI_API_KEY=sk-\.\.\. azcore run --config mcp\.json --model openai/);
  });
});

import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';

/**
 * The environment a stdio server is started with: the SDK's safe default set (HOME, PATH, USER...),
 * plus the variables named in `inheritEnv`, plus the config's own `env`, which wins. Never the
 * whole `process.env`: secrets of the host process stay out of third-party servers.
 *
 * @example
 * childEnvironment(['HTTPS_PROXY'], { MEMORY_FILE_PATH: '/tmp/m.json' });
 * // { HOME: ..., PATH: ..., HTTPS_PROXY: ..., MEMORY_FILE_PATH: '/tmp/m.json' }
 */
export function childEnvironment(
  inheritEnv: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = getDefaultEnvironment();
  for (const name of inheritEnv) {
    const value = parent[name];
    if (value !== undefined) out[name] = value;
  }
  return { ...out, ...env };
}

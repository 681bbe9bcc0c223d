import { qualifiedToolName } from '../team/toolNames.js';

/**
 * The tools of `server` (names as the server lists them) that the team offers now, read from the
 * same list a `HealthChecker` counts (`getMcpToolNames()`), so the cards add up to its `tools` check.
 * A qualified name is `<server>__<tool>`, or its hashed form when that was shortened or taken.
 */
export function offeredTools(server: string, listed: readonly string[], live: ReadonlySet<string>): string[] {
  if (live.size === 0) return [];
  return listed.filter((tool) => {
    const plain = qualifiedToolName(server, tool, new Set());
    return live.has(plain) || live.has(qualifiedToolName(server, tool, new Set([plain])));
  });
}

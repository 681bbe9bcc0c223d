/**
 * `https://user:pass@host/mcp` is how many people write a server URL, but fetch refuses URLs that
 * carry credentials. Splits them off: the URL without them, and the headers with an
 * `Authorization: Basic` built from them (an explicit Authorization header in the config wins).
 *
 * @example
 * const { url, headers } = withUrlCredentials('https://ada:pw@host/mcp', {});
 * // url: https://host/mcp, headers: { Authorization: 'Basic YWRhOnB3' }
 */
export function withUrlCredentials(
  raw: string,
  headers: Record<string, string> | undefined,
): { url: URL; headers: Record<string, string> | undefined } {
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return { url, headers };
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const explicit = Object.keys(headers ?? {}).some((k) => k.toLowerCase() === 'authorization');
  if (explicit) return { url, headers };
  const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return { url, headers: { ...headers, Authorization: `Basic ${basic}` } };
}

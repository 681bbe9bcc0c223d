import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { type CredentialSummary, summarizeCredential } from '../../auth/credentialSummary.js';
import { defaultTokenFile, FileTokenStore } from '../../auth/FileTokenStore.js';
import { mcpServersEntries } from '../../config/mcpServersJson.js';
import { parseServerConfig } from '../../config/serverConfig.js';
import { redactUrl } from '../../observe/redact.js';
import { type CliConfig, loadConfig } from '../config.js';
import { CliError, EXIT } from '../exitCodes.js';
import { formatTable } from '../table.js';

interface AuthOptions {
  config: string;
  tokenFile: string;
  json?: boolean;
}

/** `--config`, `--token-file` and `--json`, on every `auth` subcommand. */
function withAuthOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-c, --config <file>', 'mcpServers JSON file, to turn server names into their URLs').default(
        'mcp.json',
      ),
    )
    .addOption(
      new Option(
        '--token-file <file>',
        'credentials file (default: $AZCORE_TOKEN_FILE, else ~/.config/azcore/credentials.json)',
      ).default(defaultTokenFile(), 'the azcore credentials file'),
    )
    .option('--json', 'print one JSON document on stdout instead of text');
}

function openStore(options: AuthOptions): FileTokenStore {
  return new FileTokenStore({
    path: options.tokenFile,
    onWarning: (message) => process.stderr.write(`azcore: warning: ${message}\n`),
  });
}

/** The configured URL of each HTTP server of a config (stdio servers have no OAuth). */
function serverUrls(config: CliConfig): Map<string, string> {
  const urls = new Map<string, string>();
  for (const { name, entry } of config.servers) {
    const [input] = mcpServersEntries({ mcpServers: { [name]: entry } });
    const server = parseServerConfig(input);
    if (server.transport !== 'stdio') urls.set(name, server.url);
  }
  return urls;
}

/** A server argument as a resource URL: a URL as is, else the url of that server in the config. */
function resourceOf(server: string, options: AuthOptions): { name: string | null; url: string } {
  if (/^https?:\/\//i.test(server)) return { name: null, url: server };
  const config = loadConfig(options.config);
  const url = serverUrls(config).get(server);
  if (url) return { name: server, url };
  const known = config.servers.find((s) => s.name === server);
  throw new CliError(
    known
      ? `${server} is a stdio server: OAuth credentials belong to HTTP servers only.`
      : `There is no server '${server}' in ${options.config}: use a name from its "mcpServers", or the server's URL.`,
    EXIT.usage,
  );
}

/** Server names by URL, from the config when there is one (status without it still works). */
function namesByUrl(command: Command, options: AuthOptions): Map<string, string> {
  const implicit = command.getOptionValueSource('config') === 'default';
  if (implicit && !existsSync(resolve(options.config))) return new Map();
  return new Map([...serverUrls(loadConfig(options.config))].map(([name, url]) => [url, name]));
}

function ago(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

function expiryText(s: CredentialSummary, now: number): string {
  if (s.expiresAt === null) return 'unknown';
  return s.expired ? `${ago(now - s.expiresAt)} ago` : `in ${ago(s.expiresAt - now)}`;
}

type StatusRow = CredentialSummary & { server: string | null };

function statusTable(rows: StatusRow[], now: number): string {
  return formatTable(
    ['SERVER', 'RESOURCE', 'ISSUER', 'CLIENT', 'TOKEN', 'EXPIRES', 'REFRESH', 'SCOPE'],
    rows.map((r) => [
      r.server ?? '-',
      r.resource,
      r.issuer,
      `${r.clientId} (${r.clientRegistration})`,
      r.status,
      expiryText(r, now),
      r.hasRefreshToken ? 'yes' : 'no',
      r.scope ?? '',
    ]),
    60,
  );
}

function statusCommand(done: (code: number) => void): Command {
  return withAuthOptions(new Command('status'))
    .description('show the stored OAuth credentials (never the tokens): all, or those of one server')
    .argument('[server]', 'a server name of the config, or a server URL')
    .addHelpText(
      'after',
      `
Exit codes: 0 listed, 1 the named server has no stored credential, 64 bad command line, 78 bad config.

Examples:
  azcore auth status
  azcore auth status search --config mcp.json --json`,
    )
    .action(async (server: string | undefined, options: AuthOptions, command: Command) => {
      const store = openStore(options);
      const now = Date.now();
      const wanted = server === undefined ? undefined : resourceOf(server, options);
      const names = wanted ? new Map([[wanted.url, wanted.name ?? '-']]) : namesByUrl(command, options);
      const records = wanted ? await store.find(wanted.url) : await store.list();
      const rows: StatusRow[] = records.map((r) => ({
        server: names.get(r.resource) ?? null,
        ...summarizeCredential(r, now),
      }));
      if (options.json) {
        console.log(JSON.stringify({ file: store.path, credentials: rows }, null, 2));
      } else if (rows.length > 0) {
        console.log(statusTable(rows, now));
      } else if (wanted) {
        console.log(
          `No stored credentials for ${wanted.name ?? redactUrl(wanted.url)} in ${store.path}.\nLog in with \`azcore auth login ${server}\`.`,
        );
      } else {
        console.log(`No stored OAuth credentials in ${store.path}.`);
      }
      done(wanted && rows.length === 0 ? EXIT.failed : EXIT.ok);
    });
}

function logoutCommand(done: (code: number) => void): Command {
  return withAuthOptions(new Command('logout'))
    .description('forget the stored OAuth credentials of one server (or --all); the tokens are not revoked')
    .argument('[server]', 'a server name of the config, or a server URL')
    .option('--all', 'forget every stored credential')
    .addHelpText(
      'after',
      `
Examples:
  azcore auth logout search --config mcp.json
  azcore auth logout https://mcp.example.com/mcp
  azcore auth logout --all`,
    )
    .action(async (server: string | undefined, options: AuthOptions & { all?: boolean }) => {
      if ((server === undefined) === (options.all !== true)) {
        throw new CliError(
          'Name one server to log out of, or pass --all (not both), e.g. `azcore auth logout search`.',
          EXIT.usage,
        );
      }
      const store = openStore(options);
      let removed = 0;
      let what: string;
      if (server === undefined) {
        const resources = new Set((await store.list()).map((r) => r.resource));
        for (const resource of resources) removed += await store.remove({ resource });
        what = 'in total';
      } else {
        const { name, url } = resourceOf(server, options);
        removed = await store.remove({ resource: url });
        what = `for ${name ? `${name} (${redactUrl(url)})` : redactUrl(url)}`;
      }
      const result = { file: store.path, removed };
      if (options.json) console.log(JSON.stringify(result, null, 2));
      else if (removed === 0)
        console.log(`No stored credentials ${what}; nothing to remove from ${store.path}.`);
      else
        console.log(
          `Removed ${removed} stored credential${removed === 1 ? '' : 's'} ${what} from ${store.path}.`,
        );
      done(EXIT.ok);
    });
}

// ── `azcore auth login <server>` ─────────────────────────────────────────────────────────────
// Written by the lead: it needs the connection API (ServerConnection + ConnectionAuth.login). Add
// a `loginCommand(done)` beside the two above and list it in SUBCOMMANDS below.
// ─────────────────────────────────────────────────────────────────────────────────────────────

const SUBCOMMANDS = [statusCommand, logoutCommand];

/**
 * `azcore auth`: the OAuth credentials azcore stores (`status`, `logout`; `login` needs a
 * connection and lives beside them). Reads and writes the {@link FileTokenStore} file.
 *
 * @example
 * program.addCommand(authCommand((code) => { exitCode = code; }).exitOverride());
 * // azcore auth status --json
 * // azcore auth logout search --config mcp.json
 */
export function authCommand(done: (code: number) => void): Command {
  const auth = new Command('auth').description(
    'OAuth credentials of HTTP servers: show what is stored (never the tokens), log out',
  );
  for (const make of SUBCOMMANDS) auth.addCommand(make(done).exitOverride());
  return auth;
}

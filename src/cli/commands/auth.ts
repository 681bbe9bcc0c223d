import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ServerConnection } from '../../actors/ServerConnection.js';
import { type CredentialSummary, summarizeCredential } from '../../auth/credentialSummary.js';
import { defaultTokenFile, FileTokenStore } from '../../auth/FileTokenStore.js';
import { listenForAuthorizationCode } from '../../auth/loopbackRedirect.js';
import { MemoryTokenStore } from '../../auth/MemoryTokenStore.js';
import type { CredentialRecord, TokenStore } from '../../auth/TokenStore.js';
import { mcpServersEntries } from '../../config/mcpServersJson.js';
import { type OAuthConfig, parseServerConfig, type ServerConfig } from '../../config/serverConfig.js';
import { isAzcoreError } from '../../errors/AzcoreError.js';
import { redactUrl } from '../../errors/redact.js';
import { createLogger } from '../../observe/logger.js';
import { type Clock, systemClock } from '../../resilience/Clock.js';
import { MAX_TIMER_MS } from '../../resilience/durations.js';
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

/** What a caller (a test) can give `auth login` besides the command line. */
export interface AuthCommandDeps {
  /** The clock the login's timeout runs on (a `SimulatedClock` in tests). Default: wall time. */
  clock?: Clock | undefined;
  /** Aborting it cancels a login in progress, as Ctrl-C does. */
  signal?: AbortSignal | undefined;
}

interface LoginCliOptions extends AuthOptions {
  timeout?: number;
  open?: boolean;
  check?: boolean;
}

type OAuthServer = Extract<ServerConfig, { url: string }> & { oauth: OAuthConfig };

/** The config entry of `server`, which must be an HTTP server with `oauth`. */
function oauthServer(server: string, options: AuthOptions): OAuthServer {
  if (/^https?:\/\//i.test(server)) {
    throw new CliError(
      `Log in by server name, not URL: the server's "oauth" settings live in its config entry, e.g.\n  { "mcpServers": { "search": { "type": "http", "url": "${redactUrl(server)}", "oauth": {} } } }`,
      EXIT.usage,
    );
  }
  resourceOf(server, options); // an unknown or a stdio server: the errors of status and logout
  const entry = loadConfig(options.config).servers.find((s) => s.name === server)?.entry;
  const parsed = parseServerConfig(mcpServersEntries({ mcpServers: { [server]: entry } })[0]) as Extract<
    ServerConfig,
    { url: string }
  >;
  if (!parsed.oauth) {
    throw new CliError(
      `${server} has no "oauth" in ${options.config}, so there is nothing to log in to. Add "oauth": {} to its entry (docs/auth.md), e.g.\n  "${server}": { "type": "http", "url": "${redactUrl(parsed.url)}", "oauth": {} }`,
      EXIT.config,
    );
  }
  return { ...parsed, oauth: parsed.oauth };
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n * 1000 > MAX_TIMER_MS) {
    throw new InvalidArgumentError('a positive number of seconds, e.g. 300');
  }
  return n;
}

/** Best effort: the person's browser. Never awaited, failures ignored (the URL is printed anyway). */
function openBrowser(url: URL): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url.href]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', `"${url.href}"`]]
        : ['xdg-open', [url.href]];
  try {
    spawn(command, args, { stdio: 'ignore', detached: true, windowsVerbatimArguments: true })
      .on('error', () => {})
      .unref();
  } catch {
    // No browser here: the printed URL is the way.
  }
}

function loginSummary(summary: CredentialSummary, now: number): string {
  return [
    `  issuer   ${summary.issuer}`,
    `  client   ${summary.clientId} (${summary.clientRegistration})`,
    `  scope    ${summary.scope ?? '(none stated)'}`,
    `  expires  ${expiryText(summary, now)}${summary.hasRefreshToken ? ' (refresh token stored)' : ''}`,
  ].join('\n');
}

/** The typed error's own message (server, cause, hint) and the exit code it maps to. */
function loginFailure(e: unknown, server: string): { message: string; code: number } {
  if (e instanceof CliError) return { message: e.message, code: e.exitCode };
  // The loopback listener's errors (a denied consent, a state mismatch) do not know the server.
  const named = (message: string) => (message.startsWith('[') ? message : `[${server}] ${message}`);
  if (isAzcoreError(e))
    return { message: named(e.message), code: e.kind === 'configuration' ? EXIT.config : EXIT.failed };
  return { message: named(e instanceof Error ? e.message : String(e)), code: EXIT.failed };
}

function loginCommand(done: (code: number) => void, deps: AuthCommandDeps): Command {
  return withAuthOptions(new Command('login'))
    .description(
      'log in to an HTTP server with "oauth" in its config: print the sign-in URL, store the tokens',
    )
    .argument('<server>', 'a server name of the config')
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for the sign-in (default 600)').argParser(seconds),
    )
    .option('--open', 'also try to open the URL in a browser (xdg-open, open, start)')
    .option('--check', 'client_credentials servers: connect once to prove the credentials work')
    .addHelpText(
      'after',
      `
The sign-in comes back to a listener on 127.0.0.1 (a free port) unless the config sets
oauth.redirectUri. Tokens go to the credentials file, never to the screen.

Exit codes: 0 logged in, 1 the login failed (denied, timed out, refused), 64 bad command line,
78 bad config (no "oauth" on the server) or a damaged credentials file.

Examples:
  azcore auth login search --config mcp.json
  azcore auth login search --open --timeout 300
  azcore auth login billing --check`,
    )
    .action(async (server: string, options: LoginCliOptions) => {
      const config = oauthServer(server, options);
      const grant = config.oauth.grant ?? 'authorization_code';
      if (grant !== 'authorization_code' && !options.check) {
        console.log(
          grant === 'client_credentials'
            ? `${server} uses the client_credentials grant: there is nothing to log in to, the runtime gets its tokens itself.\nRun \`azcore auth login ${server} --check\` to prove the credentials work.`
            : `${server} uses the jwt_bearer grant: there is nothing to log in to, your app's auth.assertion supplies the identity assertion.`,
        );
        return done(EXIT.ok);
      }
      if (grant === 'jwt_bearer') {
        throw new CliError(
          `--check cannot run ${server}: its jwt_bearer assertion comes from your app (auth.assertion), not from the CLI.`,
          EXIT.usage,
        );
      }
      const store = openStore(options);
      const clock = deps.clock ?? systemClock;
      const cancel = new AbortController();
      const onInterrupt = () => cancel.abort();
      process.once('SIGINT', onInterrupt);
      try {
        const signal = deps.signal ? AbortSignal.any([deps.signal, cancel.signal]) : cancel.signal;
        const outcome =
          grant === 'client_credentials'
            ? await checkClientCredentials(config, store, clock)
            : await logIn(config, store, clock, { ...options, signal });
        const [record] = await store.find(config.url);
        reportLogin(server, outcome, record, store.path, clock.now(), options.json === true);
        done(EXIT.ok);
      } catch (e) {
        const failure = loginFailure(e, server);
        process.stderr.write(`azcore: ${failure.message}\n`);
        done(failure.code);
      } finally {
        process.off('SIGINT', onInterrupt);
      }
    });
}

type LoginOutcome = 'loggedIn' | 'alreadyLoggedIn' | 'checked';

/** One connection for one command: one attempt, no keepalive, so closing it leaves no timer. */
function loginConnection(config: OAuthServer, store: TokenStore, clock: Clock): ServerConnection {
  return new ServerConnection({
    config,
    clock,
    logger: createLogger({ level: 'silent' }),
    connection: { maxRestarts: 0, pingIntervalMs: 0 },
    // onAuthorizationUrl goes to login() only: given here, the connection would start a login by
    // itself on its first 401, and ours would join it without our signal and timeout.
    auth: { store },
  });
}

/** The code flow: the runtime listens on 127.0.0.1 and we show the URL; or the stored tokens work. */
async function logIn(
  config: OAuthServer,
  store: TokenStore,
  clock: Clock,
  options: LoginCliOptions & { signal: AbortSignal },
): Promise<LoginOutcome> {
  let asked = false;
  const onAuthorizationUrl = (url: URL) => {
    asked = true;
    process.stderr.write(`Open this URL to sign in to ${config.name}:\n\n  ${url.href}\n\n`);
    const wait = options.timeout === undefined ? '10 min' : `${options.timeout} s`;
    process.stderr.write(`Waiting up to ${wait} for the sign-in to come back (Ctrl-C to stop)...\n`);
    if (options.open) openBrowser(url);
  };
  const timeoutMs = options.timeout === undefined ? undefined : Math.round(options.timeout * 1000);
  // A configured loopback redirectUri (a pre-registered client's): the runtime leaves the redirect
  // to the app, so the CLI listens there itself and hands the code over with finishAuth.
  const fixed = fixedLoopbackRedirect(config);
  const refused = new AbortController();
  const listener = fixed
    ? await listenForAuthorizationCode({ port: fixed.port, path: fixed.path, signal: options.signal })
    : undefined;
  const conn = loginConnection(config, store, clock);
  listener?.code.then(
    (response) => {
      try {
        conn.finishAuth(response);
      } catch (e) {
        refused.abort(e);
      }
    },
    (e: unknown) => refused.abort(e),
  );
  try {
    const signal = AbortSignal.any([options.signal, refused.signal]);
    await conn.login({ onAuthorizationUrl, signal, timeoutMs });
    return asked ? 'loggedIn' : 'alreadyLoggedIn';
  } finally {
    listener?.close();
    await conn.close();
  }
}

/** The port and path of a configured `oauth.redirectUri`, which the CLI can only serve on loopback. */
function fixedLoopbackRedirect(config: OAuthServer): { port: number; path: string } | undefined {
  const configured = config.oauth.redirectUri;
  if (configured === undefined) return undefined;
  const url = new URL(configured);
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(url.hostname) && url.port !== '') {
    return { port: Number(url.port), path: url.pathname };
  }
  throw new CliError(
    `${config.name}'s oauth.redirectUri (${redactUrl(configured)}) is not a loopback address with a port, so the CLI cannot receive the sign-in there. Use e.g. "http://127.0.0.1:8765/callback" (registered with the authorization server), or remove redirectUri to let the CLI listen on a free port; an app with its own redirect handler logs in with login() and finishAuth() (docs/auth.md).`,
    EXIT.config,
  );
}

/**
 * client_credentials: a fresh grant (a token already stored would prove nothing), connecting
 * once; only a token that worked replaces what the credentials file holds.
 */
async function checkClientCredentials(
  config: OAuthServer,
  store: TokenStore,
  clock: Clock,
): Promise<LoginOutcome> {
  const fresh = new MemoryTokenStore();
  const conn = loginConnection(config, fresh, clock);
  try {
    await conn.start();
  } finally {
    await conn.close();
  }
  for (const record of await fresh.find(config.url)) await store.save(record);
  return 'checked';
}

function reportLogin(
  server: string,
  outcome: LoginOutcome,
  record: CredentialRecord | undefined,
  file: string,
  now: number,
  json: boolean,
): void {
  const summary = record ? summarizeCredential(record, now) : undefined;
  if (json) {
    console.log(JSON.stringify({ file, server, outcome, credential: summary ?? null }, null, 2));
  } else if (!summary) {
    console.log(`${server} answered without asking for a token: nothing was stored.`);
  } else {
    const head = {
      loggedIn: `Logged in to ${server}. Stored in ${file}:`,
      alreadyLoggedIn: `Already logged in to ${server}: the stored credentials work (to log in afresh, run \`azcore auth logout ${server}\` first). Stored in ${file}:`,
      checked: `${server} accepted the client credentials. Stored in ${file}:`,
    }[outcome];
    console.log(`${head}\n${loginSummary(summary, now)}`);
  }
}

const SUBCOMMANDS = [
  statusCommand,
  logoutCommand,
  (done: (code: number) => void, deps: AuthCommandDeps) => loginCommand(done, deps),
];

/**
 * `azcore auth`: the OAuth credentials azcore stores (`login`, `status`, `logout`). Reads and
 * writes the {@link FileTokenStore} file; `deps` lets a test drive the login's clock and cancel it.
 *
 * @example
 * program.addCommand(authCommand((code) => { exitCode = code; }).exitOverride());
 * // azcore auth status --json
 * // azcore auth logout search --config mcp.json
 * // azcore auth login search --config mcp.json --timeout 300
 */
export function authCommand(done: (code: number) => void, deps: AuthCommandDeps = {}): Command {
  const auth = new Command('auth').description(
    'OAuth credentials of HTTP servers: log in, show what is stored (never the tokens), log out',
  );
  for (const make of SUBCOMMANDS) auth.addCommand(make(done, deps).exitOverride());
  return auth;
}

// Types only: the OAuth code (ConnectionAuth, its Credential, provider, token store, loopback listener)
// loads when a connection with `oauth` first needs it (load()), not by importing this module.
import type { ConnectionAuth } from '../auth/ConnectionAuth.js';
import type { ServerConfig } from '../config/serverConfig.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { addSecrets } from '../observe/logger.js';
import type { ConnectionParts } from './connectionParts.js';

type Redactors = Parameters<typeof addSecrets>[0];
type HttpConfig = Exclude<ServerConfig, { transport: 'stdio' }>;
type OAuthConfig = NonNullable<HttpConfig['oauth']>;

/** Loads and creates the OAuth of a server whose config has `oauth`, once; it lands in `parts.auth`. */
export class OAuthLoader {
  readonly #parts: ConnectionParts;
  readonly #redactors: Redactors;
  readonly #config: HttpConfig;
  readonly #oauthConfig: OAuthConfig;
  #load: Promise<ConnectionAuth> | undefined;

  private constructor(parts: ConnectionParts, redactors: Redactors, config: HttpConfig, oauth: OAuthConfig) {
    this.#parts = parts;
    this.#redactors = redactors;
    this.#config = config;
    this.#oauthConfig = oauth;
  }

  /** The loader of a config with `oauth` (undefined without it, or for stdio); both `oauth` and `authProvider` is an error. */
  static of(parts: ConnectionParts, redactors: Redactors): OAuthLoader | undefined {
    const config = parts.config;
    if (config.transport === 'stdio' || !config.oauth) return undefined;
    if (config.authProvider) {
      throw new ConfigurationError('Both "oauth" and "authProvider" are set: choose one.', {
        server: config.name,
        hint: 'Keep "oauth" to let azcore run OAuth, or "authProvider" to bring your own SDK provider.',
      });
    }
    return new OAuthLoader(parts, redactors, config, config.oauth);
  }

  load(): Promise<ConnectionAuth> {
    this.#load ??= this.#create().then((auth) => {
      this.#parts.auth = auth;
      return auth;
    });
    return this.#load;
  }

  /** The ConnectionAuth once loaded (it closes with the connection), else undefined; never throws. */
  async loaded(): Promise<ConnectionAuth | undefined> {
    return this.#load?.catch(() => undefined);
  }

  async #create(): Promise<ConnectionAuth> {
    const parts = this.#parts;
    const config = this.#config;
    const oauth = this.#oauthConfig;
    const { ConnectionAuth } = await import('../auth/ConnectionAuth.js');
    return new ConnectionAuth({
      server: config.name,
      config: { ...config, oauth },
      options: parts.options.auth ?? {},
      clock: parts.clock,
      inspect: parts.options.inspect,
      send: (event) => parts.actor.send(event),
      emit: (event) => parts.emit(event),
      state: () => parts.state,
      addSecrets: (values) => addSecrets(this.#redactors, values),
    });
  }
}

/** What login() and finishAuth() say on a server configured without `oauth`. */
export function noOAuthError(server: string, method: string): ConfigurationError {
  return new ConfigurationError(`${method}() needs OAuth: this server's config has no "oauth" field.`, {
    server,
    hint: 'Add "oauth": {} to the server config (docs/auth.md).',
  });
}

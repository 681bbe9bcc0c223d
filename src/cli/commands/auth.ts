import { Command } from 'commander';

/**
 * `azcore auth`: the stored OAuth credentials (`status`, `logout`; `login` comes with the
 * connection API).
 *
 * @example
 * program.addCommand(authCommand(done));
 */
export function authCommand(_done: (code: number) => void): Command {
  return new Command('auth').description('OAuth credentials: show what is stored, log out');
}

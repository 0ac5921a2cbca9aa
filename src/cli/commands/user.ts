import type { Command } from 'commander';
import { WEB_ROLES, webUserSchema } from '../../config/schema.js';
import { InputError } from '../../errors.js';
import { hashPassword } from '../../http/passwords.js';
import type { CliContext } from '../context.js';

const MIN_PASSWORD_LENGTH = 12;

/** `user add`: asks the password twice (without echo, or from a pipe) and prints the config entry with its hash. */
export function registerUserCommands(program: Command, cli: CliContext): void {
  const user = program.command('user').description('dashboard users');
  user
    .command('add <name>')
    .description('hash a password for a new dashboard user and print the config entry')
    .option('--role <role>', `one of ${WEB_ROLES.join(', ')}`, 'viewer')
    .action(async (name: string, options: { role: string }) => {
      const role = WEB_ROLES.find((candidate) => candidate === options.role);
      if (!role) throw new InputError(`unknown role ${options.role}`, [{ path: '--role', message: `use one of ${WEB_ROLES.join(', ')}` }]);
      if (!webUserSchema.shape.name.safeParse(name).success) throw new InputError(`invalid user name ${name}`, [{ path: 'name', message: 'use letters, digits, . _ @ or -' }]);
      const read = cli.io.readSecrets;
      if (!read) throw new InputError('no terminal to read the password from', [], { hint: 'run `jobtally user add` in an interactive terminal' });
      const [password = '', again] = await read([`Password for ${name}: `, 'Again: ']);
      if (password.length < MIN_PASSWORD_LENGTH) throw new InputError(`the password is too short`, [], { hint: `use at least ${MIN_PASSWORD_LENGTH} characters` });
      if (again !== password) throw new InputError('the passwords differ', [], { hint: 'run the command again' });
      const passwordHash = await hashPassword(password);
      cli.io.stdout('Add this entry under web.users in jobtally.config.yaml:');
      cli.io.stdout(`    - { name: ${name}, role: ${role}, passwordHash: "${passwordHash}" }`);
    });
}

import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppError } from '../common/errors/app-error';
import { t } from '../common/i18n/messages';
import type { AdminUserResponse } from '../modules/admin/dto/admin.response';
import type { AdminService } from '../modules/admin/admin.service';

/**
 * The operator's command line: `npm run admin -- <command>` (or `node dist/src/cli/admin.js`).
 * It boots the application's modules without HTTP, so hashing, validation and revocation are
 * the service's own, on DATABASE_URL or the embedded database under DATA_DIR (migrations run
 * first, as at boot). Exit 0 on success; 1 with a one-line error otherwise.
 */

const USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  create-admin --username U --email E [--password P]
                          Create an administrator. The password comes from --password, else
                          the ADMIN_PASSWORD environment variable, else it is asked on a terminal.
  set-role <user> admin|user
  set-tier <user> vip|normal
  activate <user>
  deactivate <user>       Also ends all of the user's sessions (tokens stop working at once).
  list [--search TEXT]    Up to 100 users, newest first; TEXT matches username or e-mail.
  help                    This text.

<user> is a username or an e-mail address. The database is DATABASE_URL, or the embedded one
under DATA_DIR (stop the service first: only one process may open it).`;

/** A mistake in how the command was called: reported in one line, exit 1. */
class UsageError extends Error {}

interface Parsed {
  command: string | undefined;
  positional: string[];
  options: Map<string, string>;
}

function parse(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const value = eq >= 0 ? arg.slice(eq + 1) : rest[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    options.set(name, value);
  }
  return { command, positional, options };
}

function checkArgs(parsed: Parsed, positional: number, allowed: string[] = []): void {
  for (const name of parsed.options.keys()) {
    if (!allowed.includes(name))
      throw new UsageError(`unknown option --${name} for ${parsed.command}`);
  }
  if (parsed.positional.length !== positional) {
    throw new UsageError(
      `${parsed.command} takes ${positional} argument${positional === 1 ? '' : 's'} (see "help")`,
    );
  }
}

function required(parsed: Parsed, name: string): string {
  const value = parsed.options.get(name);
  if (value === undefined) throw new UsageError(`${parsed.command} needs --${name}`);
  return value;
}

/**
 * Reads lines from the terminal without echoing them, one per prompt. Raw mode for the whole
 * exchange, and typed-ahead text kept between prompts, so nothing is echoed or lost.
 */
function readHidden(prompts: string[]): Promise<string[]> {
  const stdin = process.stdin;
  const answers: string[] = [];
  let text = '';
  let afterCr = false;
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      if (error) {
        process.stdout.write('\n');
        reject(error);
      } else resolve(answers);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\n' && afterCr) {
          afterCr = false;
          continue;
        }
        afterCr = ch === '\r';
        if (ch === '\r' || ch === '\n') {
          answers.push(text);
          text = '';
          process.stdout.write('\n');
          if (answers.length === prompts.length) return finish();
          process.stdout.write(prompts[answers.length]);
        } else if (ch === '\u0003' || ch === '\u0004') {
          return finish(new UsageError('cancelled'));
        } else if (ch === '\u007f' || ch === '\b') {
          text = text.slice(0, -1);
        } else {
          text += ch;
        }
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
    process.stdout.write(prompts[0]);
  });
}

async function passwordFor(parsed: Parsed): Promise<string> {
  const given = parsed.options.get('password') ?? process.env.ADMIN_PASSWORD;
  if (given !== undefined) return given;
  if (!process.stdin.isTTY) {
    throw new UsageError('no password: pass --password, set ADMIN_PASSWORD, or run on a terminal');
  }
  const [first, again] = await readHidden(['Password: ', 'Repeat password: ']);
  if (first !== again) throw new UsageError('the passwords do not match');
  return first;
}

function describeUser(u: AdminUserResponse): string {
  return `${u.username} <${u.email}> role=${u.role} tier=${u.is_vip ? 'vip' : 'normal'} ${u.is_active ? 'active' : 'inactive'} id=${u.id}`;
}

/** One line for any failure: what went wrong, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof AppError) {
    const details = error.details as
      { field?: string; issue?: string; fields?: { field: string; issue: string }[] } | undefined;
    const issues =
      details?.fields ??
      (details?.field && details.issue ? [{ field: details.field, issue: details.issue }] : []);
    const text = t(error.messageKey, 'en');
    return issues.length > 0
      ? `${text}: ${issues.map((i) => `${i.field}: ${i.issue}`).join('; ')}`
      : text;
  }
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

type Command = (admin: AdminService, parsed: Parsed) => Promise<string>;

/**
 * Each command checks its arguments and asks what it must ask first (before anything boots,
 * so a prompt does not wait behind the database), then runs.
 */
const COMMANDS: Record<string, { check: (p: Parsed) => void | Promise<void>; run: Command }> = {
  'create-admin': {
    check: async (p) => {
      checkArgs(p, 0, ['username', 'email', 'password']);
      required(p, 'username');
      required(p, 'email');
      p.options.set('password', await passwordFor(p));
    },
    run: async (admin, p) => {
      const user = await admin.createAdmin({
        username: required(p, 'username'),
        email: required(p, 'email'),
        password: required(p, 'password'),
      });
      return `created administrator ${describeUser(user)}`;
    },
  },
  'set-role': {
    check: (p) => {
      checkArgs(p, 2);
      if (!['admin', 'user'].includes(p.positional[1]))
        throw new UsageError('the role must be admin or user');
    },
    run: async (admin, p) => {
      const user = await admin.findByLogin(p.positional[0]);
      const role = p.positional[1] === 'admin' ? 'admin' : 'user';
      return `updated ${describeUser(await admin.updateUser(null, user.id, { role }))}`;
    },
  },
  'set-tier': {
    check: (p) => {
      checkArgs(p, 2);
      if (!['vip', 'normal'].includes(p.positional[1]))
        throw new UsageError('the tier must be vip or normal');
    },
    run: async (admin, p) => {
      const user = await admin.findByLogin(p.positional[0]);
      const isVip = p.positional[1] === 'vip';
      return `updated ${describeUser(await admin.updateUser(null, user.id, { is_vip: isVip }))}`;
    },
  },
  activate: {
    check: (p) => checkArgs(p, 1),
    run: async (admin, p) => {
      const user = await admin.findByLogin(p.positional[0]);
      return `updated ${describeUser(await admin.updateUser(null, user.id, { is_active: true }))}`;
    },
  },
  deactivate: {
    check: (p) => checkArgs(p, 1),
    run: async (admin, p) => {
      const user = await admin.findByLogin(p.positional[0]);
      const updated = await admin.updateUser(null, user.id, { is_active: false });
      return `updated ${describeUser(updated)}; its sessions are ended`;
    },
  },
  list: {
    check: (p) => checkArgs(p, 0, ['search']),
    run: async (admin, p) => {
      const { users, pagination } = await admin.listUsers({
        page: 1,
        size: 100,
        search: p.options.get('search'),
      });
      const lines = users.map(describeUser);
      lines.push(
        `${pagination.total} user${pagination.total === 1 ? '' : 's'}${pagination.total > users.length ? ` (first ${users.length} shown)` : ''}`,
      );
      return lines.join('\n');
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const parsed = parse(argv);
  if (parsed.command === undefined || ['help', '--help', '-h'].includes(parsed.command)) {
    console.log(USAGE);
    return parsed.command === undefined ? 1 : 0;
  }
  const command = COMMANDS[parsed.command];
  if (!command) throw new UsageError(`unknown command "${parsed.command}" (see "help")`);
  await command.check(parsed);
  // Loaded only now, so that usage mistakes answer at once. Importing the app module loads
  // `.env`; then every invalid key is listed at once, before anything opens the database.
  const { AppModule } = await import('../app.module');
  const { AppConfig } = await import('../config/app-config');
  const { AdminService } = await import('../modules/admin/admin.service');
  AppConfig.fromProcessEnv();

  let app: INestApplicationContext | undefined;
  try {
    // No HTTP server and no log lines: the same providers as the service, run once.
    app = await NestFactory.createApplicationContext(AppModule, {
      logger: false,
      abortOnError: false,
    });
    console.log(await command.run(app.get<AdminService>(AdminService), parsed));
    return 0;
  } finally {
    await app?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${describeError(error)}`);
    process.exit(1);
  },
);

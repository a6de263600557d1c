import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EVENT_BUS } from '../../src/redis/event-bus';
import { bearer, registerUser } from '../factories';
import { bootApp, TEST_JWT_SECRET, TestApp } from '../support/app';
import { expectError } from '../support/expect';
import { chatWsUrl, closeAllWs, connectWs } from '../support/ws-client';

/**
 * The operator's command line (`npm run admin -- …`), run as a real child process against a
 * fresh embedded data directory (while no app holds it) and, when DATABASE_URL is set, against
 * PostgreSQL beside a running app; the accounts it makes are then used over HTTP.
 */

const ROOT = resolve(__dirname, '../..');
const TS_NODE = join(ROOT, 'node_modules/.bin/ts-node');
// As the npm script runs it (swc keeps decorator metadata, and starts faster than tsc).
const CLI = ['--swc', 'src/cli/admin.ts'];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<CliResult> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...env })) {
    if (value !== undefined) childEnv[key] = value;
  }
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** npm's own warnings (unknown user config…) are not the CLI's output. */
const ownLines = (text: string) =>
  text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('npm '));

/** Exit 1 with exactly one line on stderr, naming the problem, and no stack trace. */
function expectFailure(result: CliResult, pattern: RegExp): void {
  expect({ code: result.code, stderr: ownLines(result.stderr) }).toEqual({
    code: 1,
    stderr: [expect.stringMatching(pattern)],
  });
  expect(result.stderr).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  expect(ownLines(result.stderr)[0]).toMatch(/^error: /);
}

function expectSuccess(result: CliResult): void {
  expect({ code: result.code, stderr: ownLines(result.stderr) }).toEqual({ code: 0, stderr: [] });
}

const tagged = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex')}`;

/** util-linux `script` gives the CLI a pseudo-terminal, to answer its password prompts. */
const hasScript = spawnSync('script', ['--version']).status === 0;

/**
 * Runs the CLI on a terminal: each time the output shows the next prompt, types its answer
 * (Enter is `\r`, as a terminal sends it). Everything the terminal showed comes back in stdout.
 */
function runOnTerminal(
  args: string[],
  env: Record<string, string | undefined>,
  answers: { prompt: string; text: string }[],
): Promise<CliResult> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const commandLine = [TS_NODE, ...CLI, ...args].map(quote).join(' ');
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...env })) {
    if (value !== undefined) childEnv[key] = value;
  }
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qec', commandLine, '/dev/null'], { cwd: ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    let next = 0;
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      const answer = answers[next];
      const at = answer ? stdout.indexOf(answer.prompt, seen) : -1;
      if (answer && at >= 0) {
        seen = at + answer.prompt.length;
        next += 1;
        child.stdin.write(`${answer.text}\r`);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('Admin CLI: arguments (nothing opened)', () => {
  const cli = (...args: string[]) =>
    run(TS_NODE, [...CLI, ...args], { DATA_DIR: '/nonexistent/never-used' });

  it('prints its usage for help through the npm script and exits 0', async () => {
    const res = await run('npm', ['run', '--silent', 'admin', '--', 'help'], {});
    expectSuccess(res);
    for (const command of [
      'create-admin',
      'set-role',
      'set-tier',
      'activate',
      'deactivate',
      'list',
    ]) {
      expect(res.stdout).toContain(command);
    }
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['set-tier', 'someone', 'gold'], /tier must be vip or normal/],
    [['set-role', 'someone', 'root'], /role must be admin or user/],
    [['set-role', 'someone'], /takes 2 arguments/],
    [['activate'], /takes 1 argument/],
    [['create-admin', '--email', 'a@example.com'], /needs --username/],
    [
      ['create-admin', '--username', 'abc', '--email', 'a@example.com', '--colour', 'red'],
      /unknown option --colour/,
    ],
    [['list', '--search'], /--search needs a value/],
  ])('refuses %j with exit 1 and one line', async (args, pattern) => {
    expectFailure(await cli(...args), pattern);
  });

  it('exits 1 without a command', async () => {
    const res = await cli();
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('Usage:');
  });
});

describe('Admin CLI on the embedded database', () => {
  let dataDir: string;
  let t: TestApp | undefined;
  const env = () => ({
    DATABASE_URL: undefined,
    REDIS_URL: undefined,
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_PASSWORD: undefined,
  });
  const cli = (args: string[], extra: Record<string, string | undefined> = {}) =>
    run(TS_NODE, [...CLI, ...args], { ...env(), ...extra });
  const admin = {
    username: tagged('root'),
    email: `${tagged('root')}@example.com`,
    password: 'a-long-admin-password',
  };
  const boot = () =>
    bootApp(
      {
        DATABASE_URL: undefined,
        REDIS_URL: undefined,
        OPENAI_API_KEY: undefined,
        LLM_PROVIDER: 'offline',
      },
      { dataDir },
    );
  const login = (app: TestApp, username: string, password: string) =>
    app.api().post('/api/v1/auth/login').send({ username, password });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'chat-cli-'));
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates the first admin on a fresh data directory (migrations run first); the app then logs it in as admin', async () => {
    const created = await cli(
      ['create-admin', '--username', admin.username, '--email', admin.email],
      { ADMIN_PASSWORD: admin.password },
    );
    expectSuccess(created);
    expect(created.stdout).toContain(admin.username);
    expect(created.stdout).toMatch(/role=admin/);

    t = await boot();
    const res = await login(t, admin.username, admin.password);
    expect(res.status).toBe(200);
    const users = await t.api().get('/api/v1/admin/users').set(bearer(res.body.data.access_token));
    expect(users.status).toBe(200);
    expect(users.body.data.users).toEqual([
      expect.objectContaining({
        username: admin.username,
        email: admin.email,
        role: 'admin',
        is_active: true,
      }),
    ]);
  });

  it('refuses an existing username, a bad input, a missing password and an unknown user, with exit 1', async () => {
    expectFailure(
      await cli([
        'create-admin',
        '--username',
        admin.username.toUpperCase(),
        '--email',
        'x@example.com',
        '--password',
        'another-password',
      ]),
      /username.*already exists/i,
    );
    expectFailure(
      await cli([
        'create-admin',
        '--username',
        'ab',
        '--email',
        'not-an-email',
        '--password',
        'short',
      ]),
      /username.*email.*password/,
    );
    // No --password, no ADMIN_PASSWORD, and stdin is not a terminal.
    expectFailure(
      await cli([
        'create-admin',
        '--username',
        tagged('nopass'),
        '--email',
        `${tagged('np')}@example.com`,
      ]),
      /no password/,
    );
    expectFailure(await cli(['set-tier', 'nobody-by-this-name', 'vip']), /no such user/i);
  });

  it('says clearly that the data directory is in use while the app holds it', async () => {
    t = await boot();
    expectFailure(await cli(['list']), /in use by process \d+/);
  });

  it('sets roles, but never demotes the last active admin', async () => {
    expectFailure(await cli(['set-role', admin.username, 'user']), /no active administrator/);
    expectFailure(await cli(['deactivate', admin.email]), /no active administrator/);

    const second = { username: tagged('second'), password: 'second-admin-password' };
    expectSuccess(
      await cli(
        [
          'create-admin',
          '--username',
          second.username,
          '--email',
          `${second.username}@example.com`,
        ],
        { ADMIN_PASSWORD: second.password },
      ),
    );
    expectSuccess(await cli(['set-role', admin.username, 'user']));

    t = await boot();
    const first = await login(t, admin.username, admin.password);
    expectError(
      await t.api().get('/api/v1/admin/users').set(bearer(first.body.data.access_token)),
      403,
      'AUTHORIZATION_ERROR',
    );
    const other = await login(t, second.username, second.password);
    expect(
      (await t.api().get('/api/v1/admin/users').set(bearer(other.body.data.access_token))).status,
    ).toBe(200);
  });

  it('sets tier and role, lists, deactivates and re-activates; each change shows through the app', async () => {
    t = await boot();
    const member = await registerUser(t);
    await t.close();
    t = undefined;

    expectSuccess(await cli(['set-tier', member.email.toUpperCase(), 'vip']));
    const listed = await cli(['list', '--search', member.username.toUpperCase()]);
    expectSuccess(listed);
    expect(listed.stdout).toContain(
      `${member.username} <${member.email}> role=user tier=vip active`,
    );
    expect(listed.stdout).toContain('1 user');
    expectSuccess(await cli(['set-role', member.username, 'admin']));
    expectSuccess(await cli(['deactivate', member.username]));

    t = await boot();
    // The session it had is over, and it may not log in.
    expectError(
      await t.api().get('/api/v1/users/me').set(bearer(member.accessToken)),
      401,
      'AUTHENTICATION_ERROR',
    );
    expectError(await login(t, member.username, member.password), 403, 'AUTHORIZATION_ERROR');
    await t.close();
    t = undefined;

    expectSuccess(await cli(['activate', member.username]));
    t = await boot();
    const back = await login(t, member.username, member.password);
    expect(back.status).toBe(200);
    const quota = await t
      .api()
      .get('/api/v1/users/me/quota')
      .set(bearer(back.body.data.access_token));
    expect(quota.body.data.daily_limit).toEqual({ requests: 200, tokens: 50000 });
  });

  (hasScript ? it : it.skip)(
    'asks the password twice on a terminal without echoing it, and refuses two different ones',
    async () => {
      const username = tagged('tty');
      const password = 'typed-on-a-terminal';
      const create = (first: string, second: string) =>
        runOnTerminal(
          ['create-admin', '--username', username, '--email', `${username}@example.com`],
          env(),
          [
            { prompt: 'Password: ', text: first },
            { prompt: 'Repeat password: ', text: second },
          ],
        );

      const mismatch = await create(password, 'something-else');
      expect(mismatch.code).toBe(1);
      expect(mismatch.stdout).toContain('error: the passwords do not match');

      const created = await create(password, password);
      expect(created.code).toBe(0);
      expect(created.stdout).toContain(`created administrator ${username}`);
      expect(created.stdout).not.toContain(password);

      t = await boot();
      expect((await login(t, username, password)).status).toBe(200);
    },
  );
});

const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describeOnPostgres('Admin CLI on PostgreSQL, beside a running app', () => {
  let t: TestApp;
  const cli = (...args: string[]) =>
    run(TS_NODE, [...CLI, ...args], {
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_PASSWORD: undefined,
    });

  beforeAll(async () => {
    t = await bootApp({ OPENAI_API_KEY: undefined, LLM_PROVIDER: 'offline' });
    await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  });
  afterEach(() => closeAllWs());
  afterAll(async () => {
    await t?.close();
  });

  it('creates an admin the running app logs in at once, and refuses the same username again', async () => {
    const username = tagged('pgadmin');
    const password = 'pg-admin-password';
    expectSuccess(
      await cli(
        'create-admin',
        '--username',
        username,
        '--email',
        `${username}@example.com`,
        '--password',
        password,
      ),
    );
    const res = await t.api().post('/api/v1/auth/login').send({ username, password });
    expect(res.status).toBe(200);
    expect(
      (await t.api().get('/api/v1/admin/usage').set(bearer(res.body.data.access_token))).status,
    ).toBe(200);
    expectFailure(
      await cli(
        'create-admin',
        '--username',
        username,
        '--email',
        `x${username}@example.com`,
        '--password',
        password,
      ),
      /username.*already exists/i,
    );
  });

  it('changes tier and role under a live session: the next request sees them', async () => {
    const member = await registerUser(t);
    expectSuccess(await cli('set-tier', member.username, 'vip'));
    const quota = await t.api().get('/api/v1/users/me/quota').set(bearer(member.accessToken));
    expect(quota.body.data.daily_limit).toEqual({ requests: 200, tokens: 50000 });
    expectSuccess(await cli('set-role', member.username, 'admin'));
    expect((await t.api().get('/api/v1/admin/users').set(bearer(member.accessToken))).status).toBe(
      200,
    );
    expectSuccess(await cli('set-role', member.username, 'user'));
    expectError(
      await t.api().get('/api/v1/admin/users').set(bearer(member.accessToken)),
      403,
      'AUTHORIZATION_ERROR',
    );
  });

  it('deactivate ends the live sessions at once (and, with Redis, closes their sockets with 4401)', async () => {
    const member = await registerUser(t);
    const socket = process.env.REDIS_URL
      ? await connectWs(chatWsUrl(t.url, `?token=${member.accessToken}`))
      : undefined;
    expectSuccess(await cli('deactivate', member.email));
    expectError(
      await t.api().get('/api/v1/users/me').set(bearer(member.accessToken)),
      401,
      'AUTHENTICATION_ERROR',
    );
    expectError(
      await t.api().post('/api/v1/auth/refresh').send({ refresh_token: member.refreshToken }),
      401,
      'AUTHENTICATION_ERROR',
    );
    if (socket) expect((await socket.waitForClose()).code).toBe(4401);
  });
});

import { randomBytes } from 'node:crypto';
import type { TestApp } from './support/app';

let counter = 0;

export interface UserInput {
  username: string;
  email: string;
  password: string;
}

/** A valid, unique registration body. */
export function aUser(overrides: Partial<UserInput> = {}): UserInput {
  counter += 1;
  const tag = `${randomBytes(3).toString('hex')}${counter}`;
  return {
    username: `user_${tag}`,
    email: `user_${tag}@example.com`,
    password: `pass-${tag}-secret`,
    ...overrides,
  };
}

export interface RegisteredUser extends UserInput {
  id: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a user over HTTP and returns its credentials and tokens. */
export async function registerUser(t: TestApp, overrides: Partial<UserInput> = {}): Promise<RegisteredUser> {
  const input = aUser(overrides);
  const res = await t
    .api()
    .post('/api/v1/auth/register')
    .send({ ...input, confirm_password: input.password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    ...input,
    id: res.body.data.user.id,
    accessToken: res.body.data.access_token,
    refreshToken: res.body.data.refresh_token,
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

/** Metadata key of @AcceptsApiKeys(). */
export const ACCEPTS_API_KEYS = 'app:accepts-api-keys';

/**
 * Lets `Authorization: Bearer sk-…` (an API key, API.md §12) authenticate on this route, or on
 * every route of this controller, as the key's user. Keys are refused everywhere else with 403
 * AUTHORIZATION_ERROR: this is an allow-list, so a route added later takes only access tokens
 * until someone decides otherwise. Put it on routes a script may call on a user's behalf (chat,
 * conversations, messages, files, models, an OpenAI-compatible controller, `GET /users/me`),
 * never on account or security routes (`/auth/*`, `/api-keys`, password or profile changes,
 * `/admin`): a leaked key must not be able to take over the account or mint more keys.
 *
 * ```ts
 * @AcceptsApiKeys()
 * @Controller('openai')
 * export class OpenAiCompatController { … }
 * ```
 * The JwtAuthGuard reads it (handler first, then class); access tokens work either way. The
 * OpenAPI document marks such operations `x-accepts-api-keys: true`.
 */
export const AcceptsApiKeys = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ACCEPTS_API_KEYS, true), ApiExtension('x-accepts-api-keys', true));

import { SetMetadata } from '@nestjs/common';
import type { MessageKey } from '../i18n/messages';

export const RESPONSE_MESSAGE = 'app:response-message';
export const RAW_RESPONSE = 'app:raw-response';
export const IS_PUBLIC = 'app:public';

/** The success envelope's `message` for this route. */
export const ResponseMessage = (key: MessageKey) => SetMetadata(RESPONSE_MESSAGE, key);

/** The route answers without the success envelope (health, info, metrics). */
export const RawResponse = () => SetMetadata(RAW_RESPONSE, true);

/** The route needs no access token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

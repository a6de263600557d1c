import { DEFAULT_MODEL_ID } from '../../modules/llm/models.config';

/**
 * The values the API page's example bodies share, so that they work one after the other: the
 * account the register example creates is the one the login, password and reset examples name.
 */
export const EXAMPLE_USER = {
  username: 'alice',
  email: 'alice@example.com',
  password: 'correct-horse-battery-staple',
} as const;

/** The password the change-password example sets. */
export const EXAMPLE_NEW_PASSWORD = 'purple-monkey-dishwasher-42';

/** The password the reset-password example sets. */
export const EXAMPLE_RESET_PASSWORD = 'tangerine-bicycle-lantern-7';

/** A model id of the default catalog (and of the offline development model, which answers any). */
export const EXAMPLE_MODEL = DEFAULT_MODEL_ID;

/** The question the send examples ask. */
export const EXAMPLE_QUESTION = 'Suggest a three-day itinerary for a first visit to Lisbon.';

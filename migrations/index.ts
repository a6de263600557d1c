import { InitialSchema1795554000000 } from './1795554000000-InitialSchema';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the same list loads under
 * ts-node, Jest and the compiled build. Add each newly generated migration here.
 */
export const MIGRATIONS = [InitialSchema1795554000000];

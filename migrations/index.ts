import { InitialSchema1795554000000 } from './1795554000000-InitialSchema';
import { Conversations1795555000000 } from './1795555000000-Conversations';
import { QuotaCounters1795556000000 } from './1795556000000-QuotaCounters';
import { IdempotencyKeys1795557000000 } from './1795557000000-IdempotencyKeys';
import { AdminUsage1795563126352 } from './1795563126352-AdminUsage';
import { GenerationLeases1795600000000 } from './1795600000000-GenerationLeases';
import { IdempotencyRequestHash1796635700000 } from './1796635700000-IdempotencyRequestHash';
import { SystemMessageLength1796635800000 } from './1796635800000-SystemMessageLength';
import { SessionLastUsed1796636000000 } from './1796636000000-SessionLastUsed';
import { Files1796700000000 } from './1796700000000-Files';
import { ConversationTrees1796800000000 } from './1796800000000-ConversationTrees';
import { AutoTitles1796810000000 } from './1796810000000-AutoTitles';
import { ApiKeys1796820000000 } from './1796820000000-ApiKeys';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the same list loads under
 * ts-node, Jest and the compiled build. Add each newly generated migration here.
 */
export const MIGRATIONS = [
  InitialSchema1795554000000,
  Conversations1795555000000,
  QuotaCounters1795556000000,
  IdempotencyKeys1795557000000,
  AdminUsage1795563126352,
  GenerationLeases1795600000000,
  IdempotencyRequestHash1796635700000,
  SystemMessageLength1796635800000,
  SessionLastUsed1796636000000,
  Files1796700000000,
  ConversationTrees1796800000000,
  AutoTitles1796810000000,
  ApiKeys1796820000000,
];

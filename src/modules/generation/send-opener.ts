import { Injectable } from '@nestjs/common';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { violatedConstraint } from '../../common/errors/database-errors';
import { RateLimiter, RateLimitState } from '../../common/throttling/rate-limiter';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import type { AuthUser } from '../auth/auth-user';
import type { LlmMessage } from '../llm/llm-provider';
import { ModelsCatalog } from '../llm/models.catalog';
import type { MessageEntity } from '../messages/message.entity';
import { QuotaService, Reservation } from '../quota/quota.service';
import { FileContent, FilesRepository } from '../files/files.repository';
import { buildContext, ContextInput, historyFileIds, ModelAttachment } from './context-builder';
import type { RegenerateMessageDto, SendMessageDto } from './dto/send-message.dto';
import { GenerationLeases } from './generation-leases';
import { GenerationRunners, PreparedCall } from './generation-runner';
import { IdempotencyRepository } from './idempotency.repository';
import { regenerateRequestHash, sendRequestHash } from './send-request-hash';
import { ContextStart, OpenedSend, OpenSend, SendContext, SendRepository } from './send.repository';

/** Reply budget when a send names no max_tokens (never above the model's own limit). */
export const DEFAULT_REPLY_TOKENS = 1024;
/** Earlier messages read to build a reply's context (trimmed further to the window). */
const CONTEXT_MESSAGES = 200;

/**
 * What is opened: a send (a new user message and its reply) or a regeneration (a new reply,
 * a sibling of the assistant message `messageId`, to the same user message).
 */
export type SendRequest =
  | { kind: 'send'; conversationId: string; dto: SendMessageDto }
  | { kind: 'regenerate'; messageId: string; dto: RegenerateMessageDto };

/** A send whose messages are stored and whose quota is held: ready to call the model. */
export interface OpenedGeneration {
  conversationId: string;
  /** The user message the reply answers (a regeneration's: the one already there). */
  userMessageId: string;
  /** The stored user message; null for a regeneration. */
  user: MessageEntity | null;
  assistant: MessageEntity;
  reservation: Reservation;
  rateLimit: RateLimitState;
  /** What the provider is called with. */
  call: { messages: LlmMessage[]; model: string; temperature?: number; maxTokens: number };
  /** That request, built while the database worked, waiting to be sent (GenerationRunners.launch). */
  prepared: PreparedCall;
  /**
   * Set on the first send into a conversation created without a title: it is to get an
   * automatic one (AutoTitles), by default from the conversation's model. Read with the
   * context: no statement of its own.
   */
  autoTitle?: { model: string };
}

/** An Idempotency-Key that an earlier send of this user holds. */
export interface EarlierSend {
  conversationId: string;
  userMessageId: string;
  assistantMessageId: string;
}

class IdempotencyConflict extends Error {}

/**
 * Everything a send checks and writes before the model is called, in as few waits as the
 * database allows: the `messages` budget (Redis) counted while the conversation and its history
 * are read (one statement); then, in one statement, the quota reserved and both messages stored
 * (with the idempotency key in the same transaction when there is one). A refusal or a failure
 * leaves nothing behind, the reservation included.
 */
@Injectable()
export class SendOpener {
  constructor(
    private readonly tx: Transactions,
    private readonly sends: SendRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly quota: QuotaService,
    private readonly models: ModelsCatalog,
    private readonly rateLimiter: RateLimiter,
    private readonly config: AppConfig,
    private readonly leases: GenerationLeases,
    private readonly files: FilesRepository,
    private readonly runners: GenerationRunners,
  ) {}

  /**
   * The send an Idempotency-Key already names, if any. 422 when the key named another request:
   * another conversation, or another body (its canonical hash differs) — like Stripe, a key
   * is one request, never an alias for whatever was sent first. Nothing is started then. (A
   * regeneration's hash names its message, and so its conversation.)
   */
  async earlier(actor: AuthUser, request: SendRequest, key: string): Promise<EarlierSend | null> {
    const earlier = await this.idempotency.findLive(actor.id, key);
    if (!earlier) return null;
    if (request.kind === 'send' && earlier.conversationId !== request.conversationId) {
      throw idempotencyMismatch('issue.idempotency_key_reused');
    }
    // A key stored before hashes were kept (null) replays as it always did.
    if (earlier.requestHash !== null && earlier.requestHash !== requestHash(request)) {
      throw idempotencyMismatch('issue.idempotency_key_body_mismatch');
    }
    return earlier;
  }

  /**
   * Opens a send or a regeneration, or answers the earlier one that claimed the same key
   * meanwhile. Throws (404, 422, 429…) before anything is stored.
   */
  async open(
    actor: AuthUser,
    request: SendRequest,
    idempotencyKey?: string,
  ): Promise<OpenedGeneration | EarlierSend> {
    // One budget per user for every way of sending: REST, SSE and WebSocket, sends and
    // regenerations all come here. Counted (Redis) while the conversation is read
    // (database); a refusal still comes first.
    const attachmentIds = (request.kind === 'send' && request.dto.attachments) || [];
    const [limited, read, attached] = await Promise.allSettled([
      this.rateLimiter.consume('messages', actor.id, this.config.env.RATE_LIMIT_MESSAGES),
      this.sends.context(contextStart(request), actor.id, CONTEXT_MESSAGES),
      this.files.contentOwned(actor.id, attachmentIds),
    ]);
    if (limited.status === 'rejected') throw limited.reason;
    if (read.status === 'rejected') throw read.reason;
    if (attached.status === 'rejected') throw attached.reason;
    const conversation = read.value;
    if (!conversation) throw AppError.notFound();
    const turn = await this.newTurn(actor, request, conversation, attachmentIds, attached.value);
    const { rows, call, promptTokens, replyBudget } = await this.prepare(
      actor,
      conversation,
      request.dto,
      turn,
    );
    const plan = this.quota.plan(actor, promptTokens, replyBudget, {
      tokenFree: this.models.isTokenFree(call.model),
    });
    const send: OpenSend = { ...rows, reserve: plan.input };
    // The provider request is built while the reservation is made, and sent once it is granted.
    const prepared = this.runners.prepare({ ...call, maxTokens: Math.max(1, replyBudget) });
    try {
      const { granted, reservation } = await this.quota.reserveWith(plan, () =>
        this.store(send, actor, request, idempotencyKey),
      );
      if (granted.user) {
        granted.user.attachments = turn.files.map((f) => ({
          id: f.id,
          filename: f.filename,
          content_type: f.contentType,
          size: f.size,
          kind: f.kind,
          deleted: false,
        }));
      }
      return {
        conversationId: conversation.conversationId,
        userMessageId: granted.user?.id ?? turn.replyTo ?? '',
        user: granted.user,
        assistant: granted.assistant,
        reservation,
        rateLimit: limited.value,
        call: {
          ...call,
          maxTokens: Math.max(1, Math.min(replyBudget, reservation.maxCompletionTokens)),
        },
        prepared,
        ...(conversation.titleSource === 'default' && conversation.history.length === 0
          ? { autoTitle: { model: conversation.model } }
          : {}),
      };
    } catch (error) {
      prepared.cancel();
      if (error instanceof IdempotencyConflict && idempotencyKey !== undefined) {
        const replay = await this.earlier(actor, request, idempotencyKey);
        if (replay) return replay;
      }
      // Deleted between the ownership check and the insert (the conversation, or the message
      // the new one follows): it is gone, not a server fault.
      const violated = violatedConstraint(error);
      if (violated === 'messages_conversation_fk' || violated === 'messages_parent_fk')
        throw AppError.notFound();
      throw error;
    }
  }

  /**
   * The new turn the model answers: a send's text and files after the branch read; a
   * regeneration's user message, the last of the branch (its files that still exist).
   */
  private async newTurn(
    actor: AuthUser,
    request: SendRequest,
    conversation: SendContext,
    attachmentIds: readonly string[],
    attached: FileContent[],
  ): Promise<NewTurn> {
    if (request.kind === 'send') {
      if (!conversation.parentFound) {
        throw new AppError('RESOURCE_NOT_FOUND', 'error.not_found', {
          field: 'parent_id',
          id: request.dto.parent_id,
        });
      }
      return {
        content: request.dto.content,
        files: inRequestOrder(attachmentIds, attached),
        earlier: conversation.history,
        replyTo: null,
      };
    }
    const asked = conversation.history.at(-1);
    if (conversation.regeneratedRole !== 'assistant' || asked?.role !== 'user') {
      throw AppError.validation([fieldIssue('message_id', 'issue.regenerate_not_reply')]);
    }
    const fileIds = asked.files ?? [];
    const found = await this.files.contentOwned(actor.id, fileIds);
    const byId = new Map(found.map((f) => [f.id, f]));
    return {
      content: asked.content,
      files: fileIds.flatMap((id) => byId.get(id) ?? []),
      earlier: conversation.history.slice(0, -1),
      replyTo: asked.id,
    };
  }

  /**
   * The model, the reply budget, the context and the rows to store, from what was read. The
   * contents of earlier turns' files are read only when such turns fit in the context.
   */
  private async prepare(
    actor: AuthUser,
    conversation: SendContext,
    dto: SendMessageDto | RegenerateMessageDto,
    turn: NewTurn,
  ) {
    const modelId = dto.model ?? conversation.model;
    // A conversation whose model has left the catalog stays readable; its sends say to switch.
    if (dto.model === undefined && !this.models.get(modelId)) {
      throw AppError.validation(
        [fieldIssue('model', 'issue.model_retired')],
        undefined,
        'issue.model_retired',
      );
    }
    const model = this.models.require(modelId);
    if (dto.max_tokens !== undefined && dto.max_tokens > model.max_tokens) {
      throw AppError.validation([fieldIssue('max_tokens', 'issue.max_tokens_too_large')]);
    }
    const vision = model.capabilities.includes('vision');
    if (!vision && turn.files.some((f) => f.kind === 'image')) {
      throw AppError.validation([fieldIssue('attachments', 'issue.attachment_needs_vision')]);
    }
    const replyBudget = dto.max_tokens ?? Math.min(model.max_tokens, DEFAULT_REPLY_TOKENS);
    const input: ContextInput = {
      systemMessage: conversation.systemMessage,
      history: turn.earlier.filter(isContextTurn).map((m) => ({
        role: m.role,
        content: m.content,
        tokens: m.tokens,
        ...(m.files ? { fileIds: m.files } : {}),
      })),
      newMessage: turn.content,
      newAttachments: turn.files.map(toModelAttachment),
      vision,
      contextWindow: model.context_window,
      replyBudget,
    };
    if (input.history.some((t) => t.fileIds)) {
      const ids = historyFileIds(input);
      const contents = await this.files.contentOwned(actor.id, ids);
      input.historyFiles = new Map(contents.map((f) => [f.id, toModelAttachment(f)]));
    }
    const context = buildContext(input);
    const rows: Omit<OpenSend, 'reserve'> = {
      conversationId: conversation.conversationId,
      userId: actor.id,
      parentId: conversation.parentId,
      replyTo: turn.replyTo,
      content: turn.content,
      model: modelId,
      tokensUsed: context.newMessageTokens,
      owner: this.leases.owner,
      promptTokens: context.promptTokens,
      attachments:
        turn.replyTo === null
          ? turn.files.map((f, position) => ({
              file_id: f.id,
              position,
              filename: f.filename,
              content_type: f.contentType,
              size: f.size,
              kind: f.kind,
            }))
          : [],
    };
    const call = { messages: context.messages, model: modelId, temperature: dto.temperature };
    return { rows, call, promptTokens: context.promptTokens, replyBudget };
  }

  /** One reservation attempt with the rows (and the key): null when the quota refused. */
  private store(
    send: OpenSend,
    actor: AuthUser,
    request: SendRequest,
    idempotencyKey: string | undefined,
  ): Promise<OpenedSend | null> {
    if (idempotencyKey === undefined) return this.sends.open(send);
    return this.tx.run(async (tx) => {
      const opened = await this.sends.open(send, tx);
      if (!opened) return null;
      const claimed = await this.idempotency.claim(
        {
          userId: actor.id,
          key: idempotencyKey,
          conversationId: send.conversationId,
          userMessageId: opened.user?.id ?? send.replyTo ?? '',
          assistantMessageId: opened.assistant.id,
          requestHash: requestHash(request),
        },
        tx,
      );
      if (!claimed) throw new IdempotencyConflict();
      return opened;
    });
  }
}

/** The turn a reply answers (see SendOpener.newTurn). */
interface NewTurn {
  content: string;
  files: FileContent[];
  /** The branch before it, root first. */
  earlier: SendContext['history'];
  /** A regeneration's user message (already stored); null for a send. */
  replyTo: string | null;
}

function contextStart(request: SendRequest): ContextStart {
  if (request.kind === 'regenerate') return { regenerate: request.messageId };
  return { conversationId: request.conversationId, parentId: request.dto.parent_id };
}

function requestHash(request: SendRequest): string {
  return request.kind === 'send'
    ? sendRequestHash(request.dto)
    : regenerateRequestHash(request.messageId, request.dto);
}

/** 422 naming the Idempotency-Key, with a reason a client can branch on. */
function idempotencyMismatch(
  key: 'issue.idempotency_key_reused' | 'issue.idempotency_key_body_mismatch',
): AppError {
  return new AppError('VALIDATION_ERROR', 'error.validation', {
    ...fieldIssue('Idempotency-Key', key),
    reason: 'idempotency_key_mismatch',
  });
}

/** The attached files in the order the send named them; a missing one (another user's) is a 404. */
function inRequestOrder(ids: readonly string[], found: FileContent[]): FileContent[] {
  const byId = new Map(found.map((f) => [f.id, f]));
  return ids.map((id) => {
    const file = byId.get(id);
    if (!file)
      throw new AppError('RESOURCE_NOT_FOUND', 'error.not_found', { field: 'attachments', id });
    return file;
  });
}

function toModelAttachment(f: FileContent): ModelAttachment {
  return {
    id: f.id,
    filename: f.filename,
    tokens: f.tokenCount,
    text: f.kind === 'image' ? null : f.text,
    image:
      f.kind === 'image' && f.modelImage && f.modelImageType
        ? { data: f.modelImage, type: f.modelImageType }
        : null,
  };
}

export function isOpened(x: OpenedGeneration | EarlierSend): x is OpenedGeneration {
  return 'reservation' in x;
}

function isContextTurn<T extends Pick<MessageEntity, 'role' | 'content' | 'status'>>(
  m: T,
): m is T & { role: 'user' | 'assistant' } {
  return (
    (m.role === 'user' || m.role === 'assistant') &&
    m.content.length > 0 &&
    m.status !== 'streaming' &&
    m.status !== 'failed'
  );
}

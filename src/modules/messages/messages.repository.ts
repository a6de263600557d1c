import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Tx } from '../../database/transactions';
import { MessageEntity } from './message.entity';

export interface MessagePage {
  page: number;
  size: number;
  order: 'asc' | 'desc';
}

@Injectable()
export class MessagesRepository {
  constructor(
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
  ) {}

  private repo(tx?: Tx): Repository<MessageEntity> {
    return tx ? tx.getRepository(MessageEntity) : this.messages;
  }

  /** A page of one conversation's messages (the caller has checked ownership). */
  async listByConversation(
    conversationId: string,
    page: MessagePage,
  ): Promise<{ items: MessageEntity[]; total: number }> {
    const [items, total] = await this.messages.findAndCount({
      where: { conversationId },
      order: { seq: page.order === 'asc' ? 'ASC' : 'DESC' },
      skip: (page.page - 1) * page.size,
      take: page.size,
    });
    return { items, total };
  }

  /** Every message of a conversation, oldest first. */
  allOfConversation(conversationId: string): Promise<MessageEntity[]> {
    return this.messages.find({ where: { conversationId }, order: { seq: 'ASC' } });
  }

  /** The latest `limit` messages of a conversation, oldest first (context for a reply). */
  async recent(conversationId: string, limit: number, tx?: Tx): Promise<MessageEntity[]> {
    const rows = await this.repo(tx).find({
      where: { conversationId },
      order: { seq: 'DESC' },
      take: limit,
    });
    return rows.reverse();
  }

  /** Stores a generation's outcome in one statement: text, status and token counts. */
  async finish(
    id: string,
    outcome: Pick<
      MessageEntity,
      'content' | 'status' | 'tokensUsed' | 'promptTokens' | 'completionTokens'
    >,
    tx: Tx,
  ): Promise<void> {
    await this.repo(tx).update({ id }, { ...outcome, updatedAt: () => 'now()' });
  }

  findById(id: string): Promise<MessageEntity | null> {
    return this.messages.findOneBy({ id });
  }

  /** The message if it belongs to the user; another user's is as good as missing. */
  findOwned(id: string, userId: string, tx?: Tx): Promise<MessageEntity | null> {
    return this.repo(tx).findOneBy({ id, userId });
  }

  /** Null when the row is gone (a concurrent delete won since it was read). */
  async updateContent(id: string, content: string, tx: Tx): Promise<MessageEntity | null> {
    const result = await this.repo(tx).update({ id }, { content, updatedAt: () => 'now()' });
    if (!result.affected) return null;
    return this.repo(tx).findOneBy({ id });
  }

  /** False when the row was already gone (a concurrent delete won), so it is not counted twice. */
  async delete(id: string, tx: Tx): Promise<boolean> {
    const result = await this.repo(tx).delete({ id });
    return (result.affected ?? 0) > 0;
  }

  async insert(values: Partial<MessageEntity>, tx: Tx): Promise<MessageEntity> {
    const repo = this.repo(tx);
    const saved = await repo.save(repo.create(values));
    return repo.findOneByOrFail({ id: saved.id });
  }
}

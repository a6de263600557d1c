import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const FILE_KINDS = ['image', 'document', 'text'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/**
 * A stored upload (API.md §10). Its bytes live in the file storage under `<user_id>/<id>`;
 * `text` is what was read from a document at upload and `modelImage` the copy of an image
 * that is sent to a model, so a send never parses or resizes again. Written with raw SQL by
 * FilesRepository (the row goes in with the storage usage, in one statement).
 */
@Entity({ name: 'files' })
@Index('files_user_created_idx', ['userId', 'createdAt'])
export class FileEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'files_pk' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 255 })
  filename!: string;

  @Column({ name: 'content_type', type: 'varchar', length: 128 })
  contentType!: string;

  @Column({ type: 'bigint' })
  size!: string;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: FileKind;

  @Column({ name: 'token_count', type: 'integer' })
  tokenCount!: number;

  @Column({ name: 'page_count', type: 'integer', nullable: true })
  pageCount!: number | null;

  @Column({ type: 'text', nullable: true })
  text!: string | null;

  @Column({ name: 'model_image', type: 'bytea', nullable: true })
  modelImage!: Buffer | null;

  @Column({ name: 'model_image_type', type: 'varchar', length: 32, nullable: true })
  modelImageType!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Bytes and files a user stores, changed with every file row (the storage quota). */
@Entity({ name: 'storage_usage' })
export class StorageUsageEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'storage_usage_pk' })
  userId!: string;

  @Column({ type: 'bigint', default: 0 })
  bytes!: string;

  @Column({ type: 'integer', default: 0 })
  files!: number;
}

/** A file of a message, with the fields the message keeps after the file is deleted. */
@Entity({ name: 'message_attachments' })
export class MessageAttachmentEntity {
  @PrimaryColumn({
    name: 'message_id',
    type: 'uuid',
    primaryKeyConstraintName: 'message_attachments_pk',
  })
  messageId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'message_attachments_pk' })
  position!: number;

  /** No foreign key: the id stays when the file is deleted (the message shows it deleted). */
  @Index('message_attachments_file_idx')
  @Column({ name: 'file_id', type: 'uuid' })
  fileId!: string;

  @Column({ type: 'varchar', length: 255 })
  filename!: string;

  @Column({ name: 'content_type', type: 'varchar', length: 128 })
  contentType!: string;

  @Column({ type: 'bigint' })
  size!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: FileKind;
}

/** A named lease for maintenance that one replica at a time runs (the file sweeps). */
@Entity({ name: 'job_leases' })
export class JobLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'job_leases_pk' })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  holder!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}

/** A file attached to a message, as every message object shows it (API.md §10). */
export interface MessageAttachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  kind: 'image' | 'document' | 'text';
  /** The file was deleted since; the message keeps what it was. */
  deleted: boolean;
}

/** Attachments as a JSON column comes back (a string from some drivers). */
export function attachmentsFromJson(value: unknown): MessageAttachment[] {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as
    (Omit<MessageAttachment, 'size'> & { size: number | string })[] | null;
  return (list ?? []).map((a) => ({ ...a, size: Number(a.size) }));
}

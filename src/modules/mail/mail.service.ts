import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { AppConfig } from '../../config/app-config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Sends e-mail over SMTP (nodemailer) when SMTP_URL is set; otherwise writes it to a file in
 * DATA_DIR/outbox, so a developer can still follow a reset link locally. Never to the log:
 * a reset link is a credential, and logs are read by more people than mailboxes.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter | null;

  constructor(private readonly config: AppConfig) {
    this.transport = config.env.SMTP_URL ? createTransport(config.env.SMTP_URL) : null;
    if (!this.transport && config.isProduction) {
      this.logger.warn(
        'SMTP_URL is not set: e-mails (password resets) are only written to DATA_DIR/outbox',
      );
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (!this.transport) {
      const file = await this.writeToOutbox(mail);
      this.logger.log(`e-mail (SMTP not configured) to ${mail.to}: "${mail.subject}" in ${file}`);
      return;
    }
    await this.transport.sendMail({ from: this.config.env.MAIL_FROM, ...mail });
  }

  /** Sends without making the caller wait or fail: answers must not depend on the mail server. */
  sendInBackground(mail: OutgoingMail): void {
    this.send(mail).catch((error: unknown) => {
      this.logger.error(
        `could not send e-mail "${mail.subject}": ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  private async writeToOutbox(mail: OutgoingMail): Promise<string> {
    const dir = resolve(this.config.env.DATA_DIR, 'outbox');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = `${Date.now()}-${randomBytes(4).toString('hex')}`;
    const file = join(dir, `${name}.txt`);
    const text = `To: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n`;
    // Written aside, then renamed: a reader never sees a half-written e-mail.
    const partial = join(dir, `.${name}.tmp`);
    await writeFile(partial, text, { mode: 0o600 });
    await rename(partial, file);
    return file;
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}

import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { AppConfig } from '../../config/app-config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Sends e-mail over SMTP (nodemailer) when SMTP_URL is set; otherwise writes the e-mail to
 * the log so a developer can still follow a reset link locally.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter | null;

  constructor(private readonly config: AppConfig) {
    this.transport = config.env.SMTP_URL ? createTransport(config.env.SMTP_URL) : null;
    if (!this.transport && config.isProduction) {
      this.logger.warn(
        'SMTP_URL is not set: e-mails (password resets) are only written to the log',
      );
    }
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (!this.transport) {
      this.logger.log(`e-mail (SMTP not configured) to ${mail.to}: ${mail.subject}\n${mail.text}`);
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

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}

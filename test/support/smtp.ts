import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One e-mail as the test SMTP server received it. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  to: string[];
  from: string;
  /** Header names lower-cased; folded lines joined. */
  headers: Record<string, string>;
  subject: string;
  /** The body with its transfer encoding (quoted-printable or base64) undone. */
  text: string;
  raw: string;
}

export interface TestSmtp {
  port: number;
  /** smtp://127.0.0.1:PORT, for the app's SMTP_URL. */
  url: string;
  messages: ReceivedMail[];
  /** Every message received so far for `address`. */
  messagesTo: (address: string) => ReceivedMail[];
  /**
   * The next message for `address` not handed out by an earlier call; waits for it to arrive.
   * Rejects after `timeoutMs`.
   */
  waitForMessage: (address: string, timeoutMs?: number) => Promise<ReceivedMail>;
  close: () => Promise<void>;
}

/** Decodes a quoted-printable body: soft line breaks (`=` at line end) and `=XX` bytes, as UTF-8. */
export function decodeQuotedPrintable(input: string): string {
  const unfolded = input.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unfolded.length; i++) {
    const hex = unfolded.slice(i + 1, i + 3);
    if (unfolded[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(unfolded[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseMessage(raw: string, to: string[], from: string): ReceivedMail {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  let text = body;
  if (encoding === 'quoted-printable') text = decodeQuotedPrintable(body);
  else if (encoding === 'base64')
    text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { to, from, headers, subject: headers.subject ?? '', text, raw };
}

/** Starts an SMTP server on 127.0.0.1 (a free port), without TLS or auth, collecting every message. */
export async function startSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const handedOut = new Set<ReceivedMail>();
  const listeners = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        messages.push(parseMessage(Buffer.concat(chunks).toString('utf8'), to, from));
        for (const listener of [...listeners]) listener();
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const messagesTo = (address: string) =>
    messages.filter((m) => m.to.includes(address.toLowerCase()));

  const waitForMessage = (address: string, timeoutMs = 5000) =>
    new Promise<ReceivedMail>((resolve, reject) => {
      const take = (): boolean => {
        const found = messagesTo(address).find((m) => !handedOut.has(m));
        if (!found) return false;
        handedOut.add(found);
        clearTimeout(timer);
        listeners.delete(check);
        resolve(found);
        return true;
      };
      const check = () => void take();
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(
            `no e-mail to ${address} within ${timeoutMs} ms (received: ${messages.length})`,
          ),
        );
      }, timeoutMs);
      listeners.add(check);
      take();
    });

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    messagesTo,
    waitForMessage,
    close: () => {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}

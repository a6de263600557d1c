import busboy from 'busboy';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, fieldIssue } from '../../common/errors/app-error';

/** One uploaded part, read whole into memory (bounded by the upload limit). */
export interface UploadedPart {
  filename: string;
  bytes: Buffer;
  sha256: string;
}

export interface UploadLimits {
  maxBytes: number;
  /** A client that sends nothing for this long is dropped (a slow upload must not hold a slot). */
  idleMs: number;
}

/** Room for the multipart framing around the file when Content-Length is checked up front. */
const MULTIPART_OVERHEAD = 64 * 1024;
const MAX_FILENAME = 255;

function tooLarge(): AppError {
  return new AppError(
    'VALIDATION_ERROR',
    'error.file_too_large',
    { ...fieldIssue('file', 'issue.file_too_large') },
    'too_large',
  );
}

/** The name as the user gave it, minus control characters and any length past 255. */
export function displayName(raw: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const clean = (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  const points = Array.from(clean);
  return points.length === 0 ? 'file' : points.slice(0, MAX_FILENAME).join('');
}

/**
 * Reads the one `file` part of a multipart/form-data request as it streams in, and stops as
 * soon as it passes `maxBytes`: the answer (413) goes out at once and the connection is closed
 * after it, so a client sending hundreds of MiB is not read to the end. Nothing touches the
 * disk: the part is kept in memory, which the caller bounds by limiting concurrent uploads.
 */
export function readUpload(
  req: IncomingMessage,
  res: ServerResponse,
  limits: UploadLimits,
): Promise<UploadedPart> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\b/i.test(type)) {
    return Promise.reject(
      new AppError(
        'VALIDATION_ERROR',
        'error.validation',
        { ...fieldIssue('file', 'issue.file_part_missing') },
        'unsupported_media',
      ),
    );
  }
  // A refused upload ends the connection once the answer is written: the rest of the body
  // is never read.
  res.once('finish', () => {
    if (!req.complete) req.destroy();
  });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes + MULTIPART_OVERHEAD) {
    res.setHeader('Connection', 'close');
    return Promise.reject(tooLarge());
  }

  return new Promise<UploadedPart>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: limits.maxBytes, files: 1, fields: 20, fieldSize: 4096, parts: 40 },
      });
    } catch {
      reject(AppError.badRequest('malformed multipart body', 'file'));
      return;
    }
    let settled = false;
    let part: UploadedPart | null = null;
    let reading = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (error: AppError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      req.unpipe(parser);
      req.off('data', onData);
      if (error) {
        res.setHeader('Connection', 'close');
        req.pause();
        reject(error);
      } else if (!part) {
        reject(AppError.validation([fieldIssue('file', 'issue.file_part_missing')]));
      } else {
        resolve(part);
      }
    };
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(AppError.badRequest('upload stalled', 'file')), limits.idleMs);
    };
    const onData = () => armIdle();
    req.on('data', onData);
    armIdle();

    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || reading) {
        stream.resume();
        if (name === 'file')
          finish(AppError.validation([fieldIssue('file', 'issue.file_part_extra')]));
        return;
      }
      reading = true;
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
        chunks.push(chunk);
      });
      stream.on('limit', () => {
        chunks.length = 0;
        finish(tooLarge());
      });
      stream.on('end', () => {
        if (settled) return;
        part = {
          filename: displayName(info.filename),
          bytes: Buffer.concat(chunks, size),
          sha256: hash.digest('hex'),
        };
      });
    });
    parser.on('filesLimit', () =>
      finish(AppError.validation([fieldIssue('file', 'issue.file_part_extra')])),
    );
    parser.on('partsLimit', () => finish(AppError.badRequest('too many parts', 'file')));
    parser.on('error', () => finish(AppError.badRequest('malformed multipart body', 'file')));
    parser.on('close', () => finish(null));
    // The client went before the whole body came. It may have gone while the request waited
    // for authentication or the quota check, before these listeners: then no event is coming,
    // nothing more can be read, and only the idle timer would free the upload's slot.
    const aborted = () => finish(AppError.badRequest('upload aborted', 'file'));
    if (req.destroyed) {
      aborted();
      return;
    }
    req.on('close', () => {
      if (!req.complete) aborted();
    });
    req.pipe(parser);
  });
}

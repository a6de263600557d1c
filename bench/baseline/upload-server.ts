import { createServer } from 'node:http';
import { readUpload } from '../../src/modules/files/upload-reader';

/**
 * The P7 upload baseline: node:http and the service's own multipart reader (busboy, the part
 * read into memory and hashed), and nothing else: no framework, no token check, no inspection,
 * no storage, no database. POST /api/v1/files answers 201 with the part's size and sha256.
 * Env: PORT. Prints `READY` once listening on 127.0.0.1.
 */
const LIMITS = { maxBytes: 20 * 1024 * 1024, idleMs: 30_000 };

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/v1/files') {
    res.writeHead(404).end();
    return;
  }
  readUpload(req, res, LIMITS).then(
    (part) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { size: part.bytes.length, sha256: part.sha256 } }));
    },
    () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"bad upload"}');
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('READY'));
process.on('SIGTERM', () => process.exit(0));

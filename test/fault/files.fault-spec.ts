import fc from 'fast-check';
import { aConversation, bearer, registerUser, type RegisteredUser } from '../factories';
import type { TestApp } from '../support/app';
import { until } from '../support/expect';
import {
  collectGarbage,
  fmtMiB,
  gcOnSignalNodeOptions,
  mapLimit,
  memoryOf,
  registerOver,
  rssKiB,
  scrape,
  sleep,
} from '../support/fault-helpers-h3';
import { useFakeApp } from '../support/fake-app';
import {
  aDocx,
  aGif,
  aJpeg,
  aPdf,
  aPdfBomb,
  aPng,
  aWebp,
  aZip,
  aZipBomb,
  truncated,
} from '../support/file-fixtures';
import {
  downloadFile,
  postFile,
  rawUpload,
  storedObjects,
  type RawUploadResult,
} from '../support/files';
import { startS3, useS3 } from '../support/s3-server';
import { type ServiceProcess, startService } from '../support/service-process';
import { TITLES_OFF } from '../support/titles';
import { envelopeProblems, leaksIn } from './support/fuzz';

/**
 * File uploads (API.md §10) under faults: a storage quota raced by 50 uploads at once, uploads
 * cut mid-body, an object store that goes away and comes back, 500 MiB bodies (chunked and
 * declared), and a few hundred fuzzed files against a service process whose RSS is watched.
 * Figures are printed; the assertions are on statuses, rows, stored objects and byte counts.
 * FUZZ_SEED replays a fuzz run (its seed is printed); FILE_FUZZ_CASES (default 300) and
 * FILE_FUZZ_CONCURRENCY (default 4) size it.
 */

const MiB = 1024 * 1024;
const DB = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const report = (line: string) => console.log(`[files fault, ${DB}] ${line}`);

/** Small uploads keep the suite quick; the refusals under test are relative to this. */
const MAX_BYTES = 256 * 1024;
/** The storage race: RACERS uploads of FILE_SIZE bytes each, room for FITS of them. */
const RACERS = 50;
const FITS = 17;
const FILE_SIZE = 8 * 1024;
/** Room for FITS files and half of one more: the quota, not rounding, decides. */
const STORAGE_LIMIT = FITS * FILE_SIZE + FILE_SIZE / 2;
const HUGE = 500 * MiB;

/** A text file of exactly `size` bytes, different for each `n`. */
function textOf(n: number, size = FILE_SIZE): Buffer {
  const line = `Upload ${n}: the quick brown fox jumps over the lazy dog.\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
}

/** `total` bytes of text in pieces of 64 KiB, one buffer reused (a client streaming a huge file). */
function* streamOf(total: number): Generator<Buffer> {
  const piece = Buffer.alloc(64 * 1024, 'a');
  for (let sent = 0; sent < total; sent += piece.length) {
    yield total - sent < piece.length ? piece.subarray(0, total - sent) : piece;
  }
}

/** An error answer that is the contract's envelope, with this code and no internals in it. */
function expectEnvelope(body: unknown, code: string): void {
  expect(envelopeProblems(body)).toEqual([]);
  expect((body as { error: { code: string } }).error.code).toBe(code);
  expect(leaksIn(JSON.stringify(body), '')).toEqual([]);
}

/** A user's rows and what the storage holds for them. */
async function storedState(t: TestApp, user: RegisteredUser) {
  const rows = await t.sql<{ id: string; size: string }>(
    'SELECT id, size FROM files WHERE user_id = $1',
    [user.id],
  );
  const [usage] = await t.sql<{ bytes: string; files: number }>(
    'SELECT bytes, files FROM storage_usage WHERE user_id = $1',
    [user.id],
  );
  return {
    rows: rows.map((r) => r.id).sort(),
    rowBytes: rows.reduce((sum, r) => sum + Number(r.size), 0),
    usage: { bytes: Number(usage?.bytes ?? 0), files: usage?.files ?? 0 },
  };
}

/** Keys the local storage holds for the user (temp files of a put included). */
const objectsOf = (t: TestApp, user: RegisteredUser) =>
  storedObjects(t.dataDir)
    .filter((key) => key.startsWith(`${user.id}/`))
    .map((key) => key.slice(user.id.length + 1));

/** Uploads the service has answered so far, by outcome (its own metrics). */
async function uploadsAnswered(url: string, outcome?: string): Promise<number> {
  return (await scrape(url)).value('file_uploads_total', outcome ? { outcome } : {});
}

describe('Files under faults (API.md §10)', () => {
  describe('one app, local storage', () => {
    const ctx = useFakeApp({
      ...TITLES_OFF,
      FILE_MAX_BYTES: String(MAX_BYTES),
      QUOTA_NORMAL_STORAGE_BYTES: String(STORAGE_LIMIT),
      // All racers are read and inspected at once: the quota decides, not the upload slots.
      FILE_MAX_CONCURRENT_UPLOADS: String(RACERS + 10),
      FILE_SWEEP_INTERVAL: '1h',
    });

    it(`${RACERS} concurrent uploads with room for ${FITS}: exactly ${FITS} stored, the rest 429 on storage; usage == rows == objects`, async () => {
      const user = await registerUser(ctx.t);
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: RACERS }, (_, n) =>
          postFile(ctx.t, user.accessToken, textOf(n), `race-${n}.txt`),
        ),
      );
      const ms = performance.now() - started;
      const won = answers.filter((r) => r.status === 201);
      const refused = answers.filter((r) => r.status === 429);
      const state = await storedState(ctx.t, user);
      const objects = objectsOf(ctx.t, user).sort();
      report(
        `storage race: ${RACERS} uploads of ${FILE_SIZE} B at once, limit ${STORAGE_LIMIT} B (room for ${FITS}) → ` +
          `${won.length} × 201, ${refused.length} × 429, ${RACERS - won.length - refused.length} other, in ${ms.toFixed(0)} ms; ` +
          `usage ${state.usage.bytes} B / ${state.usage.files} files, rows ${state.rows.length} (${state.rowBytes} B), ` +
          `overshoot ${Math.max(0, state.usage.bytes - STORAGE_LIMIT)} B, objects ${objects.length}`,
      );

      expect({ won: won.length, refused: refused.length }).toEqual({
        won: FITS,
        refused: RACERS - FITS,
      });
      for (const res of refused) {
        expectEnvelope(res.body, 'QUOTA_EXCEEDED');
        expect(res.body.error.details).toMatchObject({ window: 'storage', limit: STORAGE_LIMIT });
        expect(res.body.error.details.used).toBeLessThanOrEqual(STORAGE_LIMIT);
      }
      expect(state.usage).toEqual({ bytes: state.rowBytes, files: FITS });
      expect(state.usage.bytes).toBe(FITS * FILE_SIZE);
      expect(state.usage.bytes).toBeLessThanOrEqual(STORAGE_LIMIT);
      expect(state.rows).toEqual(won.map((r) => r.body.data.id as string).sort());
      // The refused racers' bytes were removed before they were answered: none is left behind.
      expect(objects).toEqual(state.rows);
    });

    it('an upload cut mid-body stores nothing (no row, no object, no temp file) and the service goes on', async () => {
      const user = await registerUser(ctx.t);
      const file = textOf(1, 128 * 1024);
      const cuts: { label: string; length: number | 'chunked'; cutAfter: number }[] = [
        { label: 'declared, cut at half', length: file.length, cutAfter: file.length / 2 },
        { label: 'chunked, cut at half', length: 'chunked', cutAfter: file.length / 2 },
        { label: 'declared, 1 byte short', length: file.length, cutAfter: file.length - 1 },
        { label: 'declared, cut after the part head', length: file.length, cutAfter: 0 },
      ];
      const malformedBefore = await uploadsAnswered(ctx.t.url, 'malformed');
      const results: RawUploadResult[] = [];
      const started = performance.now();
      for (const cut of cuts) {
        results.push(
          await rawUpload(ctx.t.url, user.accessToken, {
            filename: 'cut.txt',
            file: [file],
            length: cut.length,
            cutAfter: cut.cutAfter,
          }),
        );
      }
      // Each cut upload is answered (to nobody) once the service has seen the connection go;
      // until then it holds one of FILE_MAX_CONCURRENT_UPLOADS.
      await until(
        async () =>
          (await uploadsAnswered(ctx.t.url, 'malformed')) >= malformedBefore + cuts.length,
        // A bound, not a figure: the idle timer alone would take 30 s.
        10_000,
        'the cut uploads to be given up',
      );
      const noticedMs = performance.now() - started;
      const state = await storedState(ctx.t, user);
      const objects = objectsOf(ctx.t, user);
      const after = await postFile(ctx.t, user.accessToken, file, 'whole.txt');
      const health = await ctx.t.api().get('/api/v1/health');
      report(
        `cut uploads: ${cuts.map((c, i) => `${c.label}: ${results[i].written} B written, ${results[i].status ?? results[i].error}`).join('; ')}; ` +
          `all ${cuts.length} counted as malformed within ${noticedMs.toFixed(0)} ms; ` +
          `rows ${state.rows.length}, objects ${objects.length}; then a whole upload: ${after.status}, /health ${health.status}`,
      );

      for (const r of results) expect(r.status).toBeUndefined();
      expect(state).toEqual({ rows: [], rowBytes: 0, usage: { bytes: 0, files: 0 } });
      expect(objects).toEqual([]);
      expect(after.status).toBe(201);
      expect(health.status).toBe(200);
    });

    it.each([
      {
        how: 'chunked (no Content-Length): 413 while it is still being sent',
        length: 'chunked' as const,
        bound: 64 * MiB,
      },
      {
        how: 'declared in Content-Length: 413 before the body is read',
        length: HUGE,
        bound: 16 * MiB,
      },
    ])('a 500 MiB body $how', async ({ length, bound }) => {
      const user = await registerUser(ctx.t);
      const started = performance.now();
      const res = await rawUpload(ctx.t.url, user.accessToken, {
        filename: 'huge.txt',
        file: streamOf(HUGE),
        length,
      });
      const ms = performance.now() - started;
      report(
        `500 MiB ${length === 'chunked' ? 'chunked' : 'declared'}: ${res.status ?? res.error} after ` +
          `${fmtMiB(res.written / MiB)} written (${res.written} B; FILE_MAX_BYTES ${MAX_BYTES} B), in ${ms.toFixed(0)} ms`,
      );
      expect(res.status).toBe(413);
      expectEnvelope(res.body, 'VALIDATION_ERROR');
      expect(res.body.error.details.field).toBe('file');
      expect(res.written).toBeLessThan(bound);
      expect(await storedState(ctx.t, user)).toMatchObject({ rows: [] });
      expect(objectsOf(ctx.t, user)).toEqual([]);
    });
  });

  describe('an S3 store that goes away', () => {
    const store = useS3();
    const ctx = useFakeApp(() => ({ ...store.s3.env, ...TITLES_OFF, FILE_SWEEP_INTERVAL: '1h' }));

    it('uploads answer 503 SERVICE_UNAVAILABLE and write no row, sends go on; uploads work again once the store is back', async () => {
      const user = await registerUser(ctx.t);
      const conversation = await aConversation(ctx.t, user);
      const timed = async <T>(work: () => Promise<T>) => {
        const started = performance.now();
        const value = await work();
        return { value, ms: performance.now() - started };
      };
      const before = await timed(() =>
        postFile(ctx.t, user.accessToken, textOf(1, 1000), 'before.txt'),
      );
      expect(before.value.status).toBe(201);
      const kept = before.value.body.data.id as string;

      await store.s3.close();
      const port = new URL(store.s3.endpoint).port;
      const down = await timed(() =>
        postFile(ctx.t, user.accessToken, textOf(2, 1000), 'during.txt'),
      );
      const read = await ctx.t
        .api()
        .get(`/api/v1/files/${kept}/content`)
        .set(bearer(user.accessToken));
      const send = await timed(() =>
        ctx.t
          .api()
          .post(`/api/v1/conversations/${conversation.id}/messages`)
          .set(bearer(user.accessToken))
          .send({ content: 'Is the chat still up?' }),
      );
      const state = await storedState(ctx.t, user);

      // A fresh, empty bucket where the app looks for it (the fixture stops this one after).
      store.s3 = await startS3('chat-files', { port: Number(port) });
      const back = await timed(() =>
        postFile(ctx.t, user.accessToken, textOf(3, 1000), 'after.txt'),
      );
      const content =
        back.value.status === 201
          ? await downloadFile(ctx.t, user.accessToken, back.value.body.data.id as string)
          : undefined;
      report(
        `S3 stopped: upload ${down.value.status} ${down.value.body?.error?.code} in ${down.ms.toFixed(0)} ms ` +
          `(while up: ${before.ms.toFixed(0)} ms), download ${read.status}, send without attachments ` +
          `${send.value.status} in ${send.ms.toFixed(0)} ms; rows ${state.rows.length} (the one from before); ` +
          `s3rver back on port ${port}: upload ${back.value.status} in ${back.ms.toFixed(0)} ms, its download ${content?.status}`,
      );

      expect(down.value.status).toBe(503);
      expectEnvelope(down.value.body, 'SERVICE_UNAVAILABLE');
      expect(down.value.body.error.details).toMatchObject({ reason: 'storage_unavailable' });
      const text = JSON.stringify(down.value.body);
      for (const internal of [
        `:${port}`,
        '127.0.0.1',
        'ECONNREFUSED',
        'S3',
        's3rver',
        'chat-files',
      ])
        expect(text).not.toContain(internal);
      expect(read.status).toBe(503);
      expectEnvelope(read.body, 'SERVICE_UNAVAILABLE');
      expect(send.value.status).toBe(201);
      expect(state.rows).toEqual([kept]);
      expect(state.usage).toEqual({ bytes: 1000, files: 1 });
      expect(back.value.status).toBe(201);
      expect(content?.status).toBe(200);
      expect(content?.body).toEqual(textOf(3, 1000));
      // The new bucket holds the new upload and nothing from the refused one.
      expect(await store.keys(user.id)).toEqual([`${user.id}/${back.value.body.data.id}`]);
      expect((await storedState(ctx.t, user)).usage).toEqual({ bytes: 2000, files: 2 });
    });
  });

  describe('fuzzed files against a service process', () => {
    const FUZZ_MAX_BYTES = 512 * 1024;
    const CASES = Number(process.env.FILE_FUZZ_CASES ?? 300);
    const CONCURRENCY = Number(process.env.FILE_FUZZ_CONCURRENCY ?? 4);
    let service: ServiceProcess;

    beforeAll(async () => {
      const t0 = performance.now();
      service = await startService({
        LLM_PROVIDER: 'offline',
        OPENAI_API_KEY: undefined,
        LOG_LEVEL: 'warn',
        FILE_MAX_BYTES: String(FUZZ_MAX_BYTES),
        QUOTA_NORMAL_STORAGE_BYTES: String(64 * 1024 * MiB),
        FILE_SWEEP_INTERVAL: '1h',
        // Heap after a full collection, so the RSS after shows what is retained.
        NODE_OPTIONS: gcOnSignalNodeOptions(),
      });
      report(`service process ready in ${(performance.now() - t0).toFixed(0)} ms`);
    });
    afterAll(() => service?.dispose());

    it(`${CASES} fuzzed files and the bombs: no 5xx, every answer 201/413/415/422 with its envelope; RSS bounded`, async () => {
      const pid = service.child.pid!;
      const user = await registerOver(service.url);
      const valid = await validFiles();
      const cases = [
        ...fc.sample(fuzzCase(Object.keys(valid)), { seed: SEED, numRuns: CASES }),
      ].map((c) => ({ label: c.label, bytes: build(c, valid) }));
      const bombs = [
        { label: 'pdf bomb', bytes: aPdfBomb() },
        { label: 'zip bomb', bytes: await aZipBomb() },
        { label: 'lying zip bomb', bytes: await aZipBomb({ lying: true }) },
        { label: 'over FILE_MAX_BYTES', bytes: textOf(0, FUZZ_MAX_BYTES + 1) },
      ];
      // The inspection workers started and warm before the first figure.
      expect((await upload(service.url, user.token, valid.png, 'warm.png')).status).toBe(201);
      await collectGarbage(pid);
      const before = await memoryOf(service.url, pid);
      let peak = before.rssMiB;
      let sampling = true;
      const sampler = (async () => {
        while (sampling && service.child.exitCode === null) {
          peak = Math.max(peak, rssKiB(pid) / 1024);
          await sleep(20);
        }
      })();

      const started = performance.now();
      const all = [...bombs, ...cases];
      const answers = await mapLimit(all, CONCURRENCY, async (c, i) => {
        const t0 = performance.now();
        const res = await upload(service.url, user.token, c.bytes, `fuzz-${i}.bin`);
        return { label: c.label, ms: performance.now() - t0, ...res };
      });
      const slowest = answers.reduce((a, b) => (b.ms > a.ms ? b : a));
      const seconds = (performance.now() - started) / 1000;
      sampling = false;
      await sampler;
      await collectGarbage(pid);
      const after = await memoryOf(service.url, pid);
      const health = await fetch(`${service.url}/api/v1/health`);

      const byStatus = new Map<string, number>();
      for (const a of answers) {
        const key = String(a.status ?? a.error);
        byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
      }
      report(
        `fuzz (seed ${SEED}): ${all.length} uploads (${bombs.length} bombs and oversize, ${cases.length} fuzzed) ` +
          `in ${seconds.toFixed(1)} s, concurrency ${CONCURRENCY} → ` +
          `${[...byStatus].map(([s, n]) => `${s} × ${n}`).join(', ')}, the slowest ${slowest.ms.toFixed(0)} ms (${slowest.label}); ` +
          `bombs: ${answers
            .slice(0, bombs.length)
            .map((a) => `${a.label} ${a.status}`)
            .join(', ')}; service RSS ${fmtMiB(before.rssMiB)} → peak ${fmtMiB(peak)} → ` +
          `${fmtMiB(after.rssMiB)} after a GC (heap ${fmtMiB(before.heapMiB)} → ${fmtMiB(after.heapMiB)}, ` +
          `external ${fmtMiB(before.externalMiB)} → ${fmtMiB(after.externalMiB)}); /health ${health.status}`,
      );

      const wrong = answers.filter(
        (a) =>
          ![201, 413, 415, 422].includes(a.status ?? 0) ||
          (a.status === 201 ? a.body?.success !== true : envelopeProblems(a.body).length > 0),
      );
      expect(
        wrong.map((a) => ({ label: a.label, status: a.status ?? a.error, body: a.body })),
      ).toEqual([]);
      expect(answers.slice(0, 3).map((a) => a.status)).toEqual([422, 422, 422]);
      expect(answers[3].status).toBe(413);
      expect(peak).toBeLessThan(1536);
      expect(health.status).toBe(200);
    }, 120_000);
  });
});

/** One POST /files with the whole file declared (the answer, or the client's error). */
function upload(url: string, token: string, bytes: Buffer, filename: string) {
  return rawUpload(url, token, { filename, file: [bytes], length: bytes.length });
}

/** Valid files of every accepted binary type, to cut short and to corrupt. */
async function validFiles(): Promise<Record<string, Buffer>> {
  return {
    png: await aPng(64, 48),
    jpeg: await aJpeg(64, 48),
    gif: await aGif(32, 32),
    webp: await aWebp(64, 48),
    pdf: aPdf(['A page of text for the fuzzer.', 'And another.']),
    pdfDeflated: aPdf(['Deflated text for the fuzzer.'], { compressed: true }),
    docx: await aDocx(['A paragraph for the fuzzer.']),
    zip: await aZip({ 'notes.txt': 'not a document' }),
  };
}

/** The first bytes of each type the service accepts by its magic number (and ZIP, which it refuses). */
const MAGIC: Record<string, Buffer> = {
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  gif: Buffer.from('GIF89a'),
  webp: Buffer.concat([
    Buffer.from('RIFF'),
    Buffer.from([0x00, 0x10, 0x00, 0x00]),
    Buffer.from('WEBPVP8 '),
  ]),
  pdf: Buffer.from('%PDF-1.7\n'),
  zip: Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  // A zip whose first entry is a DOCX's [Content_Types].xml: a DOCX as far as its start shows.
  docx: Buffer.concat([
    Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]),
    Buffer.alloc(16),
    Buffer.from([0x13, 0x00, 0x00, 0x00]),
    Buffer.from('[Content_Types].xml'),
  ]),
};

type FuzzCase =
  | { label: string; kind: 'magic'; type: string; size: number; seed: number }
  | { label: string; kind: 'truncated'; file: string; fraction: number }
  | { label: string; kind: 'corrupted'; file: string; edits: { at: number; byte: number }[] };

function fuzzCase(files: string[]): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    fc
      .record({
        type: fc.constantFrom(...Object.keys(MAGIC)),
        size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 65, max: 200_000 })),
        seed: fc.integer({ min: 1, max: 0x7fffffff }),
      })
      .map((c) => ({
        ...c,
        kind: 'magic' as const,
        label: `${c.type} magic + ${c.size} random B`,
      })),
    fc
      .record({
        file: fc.constantFrom(...files),
        fraction: fc.double({ min: 0, max: 0.999, noNaN: true }),
      })
      .map((c) => ({
        ...c,
        kind: 'truncated' as const,
        label: `${c.file} cut at ${c.fraction.toFixed(3)}`,
      })),
    fc
      .record({
        file: fc.constantFrom(...files),
        edits: fc.array(
          fc.record({
            at: fc.double({ min: 0, max: 0.999, noNaN: true }),
            byte: fc.integer({ min: 0, max: 255 }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
      })
      .map((c) => ({
        ...c,
        kind: 'corrupted' as const,
        label: `${c.file} with ${c.edits.length} bytes changed`,
      })),
  );
}

/**
 * The bytes of a case, from the case and the valid files alone: a seed replays a run (but for
 * the random document ids of the PDF fixtures).
 */
function build(c: FuzzCase, valid: Record<string, Buffer>): Buffer {
  switch (c.kind) {
    case 'magic':
      return Buffer.concat([MAGIC[c.type], noise(c.seed, c.size)]);
    case 'truncated':
      return Buffer.from(truncated(valid[c.file], c.fraction));
    case 'corrupted': {
      const bytes = Buffer.from(valid[c.file]);
      for (const edit of c.edits) bytes[Math.floor(edit.at * bytes.length)] = edit.byte;
      return bytes;
    }
  }
}

/** `size` pseudo-random bytes from `seed` (xorshift32). */
function noise(seed: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed | 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

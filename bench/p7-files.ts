import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as InspectorModule from '../src/modules/files/inspection/file-inspector';
import type * as InspectionModule from '../src/modules/files/inspection/file-inspection';
import { createFileStorage } from '../src/modules/files/storage/file-storage';
import { storageKey } from '../src/modules/files/storage/storage-key';
import { aBigPdf, aNoisyJpeg } from '../test/support/file-fixtures';
import { call, inParallel, register, Session } from './lib/client';
import { PgRoundTripCounter } from './lib/pg-counter';
import { BenchRow, finish, log, median, parseArgs, row } from './lib/report';
import {
  BUILD_DIR,
  Child,
  createDatabase,
  ensureBuild,
  startHelper,
  startService,
} from './lib/service';
import { Timings, timings, TimingStats } from './lib/timing';
import { cpuMs } from './support/stream/processes';

/**
 * P7 — files (issue 14), on the built service:
 * 1. Uploads (POST /files, multipart) of a text PDF of many pages and of a noisy JPEG, one at a
 *    time and four at once: MiB/s and p50/p99 per upload, beside writing the same bytes to disk
 *    (the local storage's put: write, fsync, rename, fsync of the directory) and the bare
 *    multipart parse (bench/baseline/upload-server.ts: node:http and the service's own reader);
 *    the inspection alone (FileInspector, compiled, as the service runs it) says where the time
 *    goes.
 * 2. Non-streamed sends with no attachment, one text document of ~2,000 tokens and one of
 *    ~20,000 (uploaded before), each into a conversation that has one earlier turn: latency,
 *    sends/s and CPU per send at a fixed concurrency; database round trips per send through
 *    the wire-protocol counter, with the statements of a send with an attachment.
 */
const args = parseArgs();
const MiB = 1024 * 1024;
const PDF_BYTES = args.quick ? 1 * MiB : 10 * MiB;
const PDF_PAGES = args.quick ? 20 : 200;
/** A JPEG of noise of this side is about 2 MiB. */
const JPEG_SIDE = 1450;
const UPLOADS = args.quick
  ? { pdf: { 1: 2, 4: 4 }, image: { 1: 3, 4: 4 } }
  : { pdf: { 1: 8, 4: 16 }, image: { 1: 30, 4: 60 } };
const INSPECTIONS = args.quick ? 2 : 6;
/** Sends per attachment size and repetition; each goes to a conversation of its own. */
const SENDS = args.quick ? 20 : 150;
const REPS = args.quick ? 1 : 3;
const SEND_CONCURRENCY = 8;
const USERS = 4;
const COUNT_N = args.quick ? 5 : 40;
const DOCUMENT_TOKENS = [2_000, 20_000] as const;
/** 128k context: a 20,000-token document fits. */
const MODEL = 'gpt-4-turbo';

type Kind = 'pdf' | 'image';
type Concurrency = 1 | 4;
interface Upload {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

const settle = () => new Promise((r) => setTimeout(r, 150));

/** The multipart/form-data body of one `file` part, built once and sent as it is. */
function multipart(file: Upload): { body: Buffer; contentType: string } {
  const boundary = `----bench${randomUUID()}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

async function upload(
  base: string,
  token: string | undefined,
  form: { body: Buffer; contentType: string },
): Promise<{ id: string; token_count: number | null }> {
  const res = await fetch(`${base}/api/v1/files`, {
    method: 'POST',
    headers: {
      'content-type': form.contentType,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: form.body,
  });
  const json = (await res.json().catch(() => null)) as {
    data?: { id: string; token_count: number | null };
  } | null;
  if (res.status !== 201 || !json?.data) {
    throw new Error(`upload: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  }
  return json.data;
}

/** Plain text of about `tokens` tokens (English words, ~14 tokens a line). */
function aTextDocument(tokens: number): Buffer {
  const line = 'The quick brown fox jumps over the lazy dog, again and again.';
  const lines = Array.from({ length: Math.round(tokens / 14) }, (_, n) => `${n} ${line}`);
  return Buffer.from(lines.join('\n'));
}

async function main(): Promise<void> {
  const db = await createDatabase('p7');
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-bench-p7-data-'));
  const diskDir = mkdtempSync(join(tmpdir(), 'chat-bench-p7-disk-'));
  const children: Child[] = [];
  const notes: string[] = [];
  ensureBuild(); // the inspector below is the compiled one
  const { FileInspector } = compiled<typeof InspectorModule>(
    'src/modules/files/inspection/file-inspector.js',
  );
  const { DEFAULT_INSPECT_LIMITS } = compiled<typeof InspectionModule>(
    'src/modules/files/inspection/file-inspection.js',
  );
  try {
    const files: Record<Kind, Upload> = {
      pdf: {
        filename: 'report.pdf',
        contentType: 'application/pdf',
        bytes: aBigPdf(PDF_BYTES, PDF_PAGES),
      },
      image: {
        filename: 'photo.jpg',
        contentType: 'image/jpeg',
        bytes: await aNoisyJpeg(JPEG_SIDE, JPEG_SIDE),
      },
    };
    const forms = { pdf: multipart(files.pdf), image: multipart(files.image) };

    const upstream = await startHelper('bench/baseline/instant-upstream.ts', {});
    children.push(upstream);
    const env = {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      QUOTA_NORMAL_STORAGE_BYTES: String(1024 ** 4),
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'bench-key',
      OPENAI_BASE_URL: `${upstream.url}/v1`,
    };
    const app = await startService(env);
    children.push(app);
    const parser = await startHelper('bench/baseline/upload-server.ts', {});
    children.push(parser);
    const users = await Promise.all(
      Array.from({ length: USERS }, (_, i) => register(app.url, `bench_p7_${i}`)),
    );

    // 1. Uploads: service, bare parse and disk, side by side for each file and concurrency.
    const disk = createFileStorage({ dataDir: diskDir });
    const sides = {
      service: (kind: Kind, i: number) => upload(app.url, users[i % USERS].token, forms[kind]),
      parse: (kind: Kind) => upload(parser.url, undefined, forms[kind]),
      disk: (kind: Kind) =>
        disk.put(storageKey(randomUUID(), randomUUID()), files[kind].bytes, 'application/pdf'),
    };
    type Side = keyof typeof sides;
    const uploads = {} as Record<`${Kind} ${Concurrency} ${Side}`, TimingStats>;
    const cpuPerUpload = {} as Record<Kind, number>;
    for (const kind of ['pdf', 'image'] as const) {
      await sides.service(kind, 0); // warm: workers started, statements prepared
      await sides.parse(kind);
      for (const concurrency of [1, 4] as const) {
        const count = UPLOADS[kind][concurrency];
        for (const side of Object.keys(sides) as Side[]) {
          const cpuBefore = cpuMs(app.child.pid!);
          const t = await timings(count, concurrency, (i) => sides[side](kind, i));
          if (side === 'service' && concurrency === 1)
            cpuPerUpload[kind] = (cpuMs(app.child.pid!) - cpuBefore) / count;
          const stats = t.stats(files[kind].bytes.length);
          uploads[`${kind} ${concurrency} ${side}`] = stats;
          log(
            `${kind} c${concurrency} ${side}: ${stats.mibPerSecond.toFixed(1)} MiB/s p50 ${stats.p50.toFixed(0)} ms p99 ${stats.p99.toFixed(0)} ms`,
          );
        }
      }
    }
    await parser.stop();
    children.splice(children.indexOf(parser), 1);

    // The inspection alone, in this process, one file at a time (the service process idle).
    const inspector = new FileInspector({ ...DEFAULT_INSPECT_LIMITS });
    const inspections = {} as Record<Kind, TimingStats>;
    for (const kind of ['pdf', 'image'] as const) {
      const { bytes, filename } = files[kind];
      const inspect = async () => {
        const result = await inspector.inspect(bytes, filename);
        if (!result.ok) throw new Error(`${filename} refused: ${result.issue}`);
      };
      await inspect();
      inspections[kind] = (await timings(INSPECTIONS, 1, inspect)).stats(bytes.length);
      log(`${kind} inspection: p50 ${inspections[kind].p50.toFixed(0)} ms`);
    }
    await inspector.close();

    // 2. Sends: documents uploaded once a user, then one send a conversation, each conversation
    // given one earlier (plain) turn first.
    const documents = await Promise.all(
      DOCUMENT_TOKENS.map(async (tokens) => {
        const form = multipart({
          filename: `notes-${tokens}.txt`,
          contentType: 'text/plain',
          bytes: aTextDocument(tokens),
        });
        const uploaded = await Promise.all(users.map((u) => upload(app.url, u.token, form)));
        return { tokens: uploaded[0].token_count ?? NaN, ids: uploaded.map((f) => f.id) };
      }),
    );
    const levels = [
      { label: 'no attachment', attach: (_user: number): string[] => [] },
      ...documents.map((d) => ({
        label: `a ${d.tokens.toLocaleString('en')}-token document`,
        attach: (user: number) => [d.ids[user]],
      })),
    ];
    log(`seeding: ${levels.length * REPS * SENDS} conversations with one turn each`);
    const targets = await Promise.all(
      levels.map(() =>
        Promise.all(Array.from({ length: REPS }, () => conversationsOn(app.url, users, SENDS))),
      ),
    );
    const sends = levels.map(() => ({ runs: [] as Timings[], cpu: [] as number[] }));
    for (let rep = 0; rep < REPS; rep++) {
      // Rotate the order so drift on a shared machine hits every level alike.
      for (let k = 0; k < levels.length; k++) {
        const level = (rep + k) % levels.length;
        const batch = targets[level][rep];
        const cpuBefore = cpuMs(app.child.pid!);
        const t = await timings(SENDS, SEND_CONCURRENCY, (i) =>
          sendTo(
            app.url,
            users[batch[i].user],
            batch[i].conversationId,
            levels[level].attach(batch[i].user),
          ),
        );
        sends[level].cpu.push((cpuMs(app.child.pid!) - cpuBefore) / SENDS);
        sends[level].runs.push(t);
        const s = t.stats();
        log(
          `send rep ${rep + 1} (${levels[level].label}): ${s.perSecond.toFixed(0)} sends/s p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms`,
        );
      }
    }
    await app.stop();
    children.splice(children.indexOf(app), 1);

    // Round trips, through the counting proxy, on a service started for it.
    const counter = new PgRoundTripCounter({
      host: new URL(db.url).hostname,
      port: Number(new URL(db.url).port || 5432),
    });
    const viaProxy = new URL(db.url);
    viaProxy.port = String(await counter.start());
    // Sessions cached for the longest the service allows (60 s, against 5 s by default): the
    // counted sends take longer than 5 s under load, and a re-check of a session is not theirs.
    const counted = await startService({
      ...env,
      DATABASE_URL: viaProxy.toString(),
      AUTH_SESSION_CACHE_MS: '60000',
    });
    children.push(counted);
    const plainTargets = await conversationsOn(counted.url, users, COUNT_N + 1);
    const attachTargets = await conversationsOn(counted.url, users, COUNT_N + 1);
    const perSend = async (batch: Target[], attach: (user: number) => string[]) => {
      await sendTo(
        counted.url,
        users[batch[0].user],
        batch[0].conversationId,
        attach(batch[0].user),
      );
      for (const u of users) await call(counted.url, 'GET', '/users/me', undefined, u.token);
      await settle();
      counter.reset();
      for (let i = 1; i <= COUNT_N; i++)
        await sendTo(
          counted.url,
          users[batch[i].user],
          batch[i].conversationId,
          attach(batch[i].user),
        );
      await settle();
      return counter.roundTrips / COUNT_N;
    };
    const doc = (user: number) => [documents[0].ids[user % USERS]];
    const plainRt = await perSend(plainTargets, () => []);
    const attachedRt = await perSend(attachTargets, doc);
    // The same conversations again, plain now: their history holds the document.
    const afterRt = await perSend(attachTargets, () => []);
    const capture = async (target: Target, attach: string[]) => {
      counter.reset();
      counter.capture = true;
      await sendTo(counted.url, users[target.user], target.conversationId, attach);
      await settle();
      counter.capture = false;
      return [...counter.captured];
    };
    const attachedStatements = await capture(plainTargets[0], doc(plainTargets[0].user));
    const afterStatements = await capture(attachTargets[0], []);
    await counted.stop();
    children.splice(children.indexOf(counted), 1);
    await counter.stop();

    const rows: BenchRow[] = [];
    const names = {
      pdf: `${(files.pdf.bytes.length / MiB).toFixed(1)} MiB PDF (${PDF_PAGES} pages)`,
      image: `${(files.image.bytes.length / MiB).toFixed(1)} MiB JPEG`,
    };
    for (const kind of ['pdf', 'image'] as const) {
      for (const concurrency of [1, 4] as const) {
        const at = (side: Side) => uploads[`${kind} ${concurrency} ${side}`];
        const what = `${names[kind]} upload, ${concurrency} at once`;
        rows.push(
          row(`${what}: MiB/s (baseline: disk write)`, at('service').mibPerSecond, 'MiB/s', {
            baseline: at('disk').mibPerSecond,
          }),
          row(`${what}: p50 (baseline: disk write)`, at('service').p50, 'ms', {
            baseline: at('disk').p50,
          }),
          row(`${what}: p99 (baseline: disk write)`, at('service').p99, 'ms', {
            baseline: at('disk').p99,
          }),
          row(
            `${what}: MiB/s (baseline: multipart parse only)`,
            at('service').mibPerSecond,
            'MiB/s',
            {
              baseline: at('parse').mibPerSecond,
            },
          ),
        );
      }
      rows.push(
        row(
          `${names[kind]}: inspection alone, p50 (baseline: whole upload p50, 1 at once)`,
          inspections[kind].p50,
          'ms',
          { baseline: uploads[`${kind} 1 service`].p50 },
        ),
        row(`${names[kind]}: service CPU per upload (1 at once)`, cpuPerUpload[kind], 'ms'),
      );
    }
    const [plain, ...withDocs] = sends.map((s) => ({
      perSecond: median(s.runs.map((r) => r.stats().perSecond)),
      p50: median(s.runs.map((r) => r.stats().p50)),
      p99: median(s.runs.map((r) => r.stats().p99)),
      cpu: median(s.cpu),
    }));
    withDocs.forEach((d, i) => {
      const label = `send with ${levels[i + 1].label} (baseline: no attachment)`;
      rows.push(
        row(`${label}: sends/s`, d.perSecond, 'sends/s', { baseline: plain.perSecond }),
        row(`${label}: p50`, d.p50, 'ms', { baseline: plain.p50 }),
        row(`${label}: p99`, d.p99, 'ms', { baseline: plain.p99 }),
        row(`${label}: service CPU per send`, d.cpu, 'ms', { baseline: plain.cpu }),
      );
    });
    rows.push(
      row(
        'DB round trips per plain send (no attachment in the conversation)',
        plainRt,
        'round trips',
        {
          target: '≤ 3',
          met: plainRt <= 3,
        },
      ),
      row('DB round trips per send with one attachment', attachedRt, 'round trips', {
        baseline: plainRt,
        target: '≤ plain + 1',
        met: attachedRt <= plainRt + 1,
      }),
      row('DB round trips per plain send after one with an attachment', afterRt, 'round trips', {
        baseline: plainRt,
      }),
    );
    notes.push(
      `Uploads: POST /files with one multipart part built once; ${UPLOADS.pdf[1]} PDF(s) one at a time and ${UPLOADS.pdf[4]} four at once, ${UPLOADS.image[1]} and ${UPLOADS.image[4]} JPEGs (after one warm-up upload of each); MiB/s = file bytes × uploads / wall time, p50/p99 per upload (nearest rank: with few uploads p99 is the slowest). Users' storage quota lifted; the files stay stored (local disk under a temp DATA_DIR).`,
      'Baselines: "disk write" = the same bytes through the local storage\'s put (node:fs: write a temp file, fsync, rename, fsync the directory) in this process, as many at once; "multipart parse only" = bench/baseline/upload-server.ts, node:http and the service\'s own reader (busboy, the part kept in memory and hashed), no auth, inspection, storage or database.',
      `Inspection alone: FileInspector from the compiled service (worker threads, default limits) in the bench process, ${INSPECTIONS} files one at a time after a warm-up, p50; ratio = its share of a whole upload's p50.`,
      `Sends: POST /conversations/{id}/messages, non-streamed, ${MODEL} (128k context), the instant upstream (bench/baseline/instant-upstream.ts); ${SENDS} sends per level and run at ${SEND_CONCURRENCY} at once, each into a conversation of its own that has one earlier plain turn (so the attached document is the only one in the context), ${REPS} run(s) with the levels' order rotated, median; documents are text/plain (token_count ${documents.map((d) => d.tokens).join(' and ')}) uploaded once per user (${USERS} users) before. CPU = service process (all its threads) over a run / sends.`,
      `Round trips: the wire-protocol proxy counts Sync and simple Query messages over ${COUNT_N} sequential sends after one warm-up, every user's session checked just before and cached for 60 s (AUTH_SESSION_CACHE_MS, 5 s by default: the counted sends can take longer than that, and a session re-check is one round trip more that is not the send's). Plain: conversations with no attachment; with one attachment: the ~2,000-token document; after: a plain send into each of those conversations again (its history now holds the document, whose text is read back for the context).`,
      parsedNote('a send with one attachment', attachedStatements),
      parsedNote('a plain send after one with an attachment', afterStatements),
    );
    finish({ id: 'P7', title: 'Files: uploads and sends with attachments', rows, notes }, args);
  } finally {
    for (const c of children.reverse()) await c.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(diskDir, { recursive: true, force: true });
  }
}

function parsedNote(what: string, parsed: string[]): string {
  const listed = parsed.map((s, i) => `(${i + 1}) ${s.slice(0, 140)}`).join(' | ');
  return `Statements parsed during ${what} (${parsed.length}; those the connection had prepared before are not parsed again, so not listed): ${listed}`;
}

/** A module of the compiled service (BUILD_DIR), as the service runs it. */
function compiled<T>(path: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(BUILD_DIR, path)) as T;
}

interface Target {
  user: number;
  conversationId: string;
}

/** `count` conversations on the users in turn, each given one plain turn (user and reply). */
async function conversationsOn(base: string, users: Session[], count: number): Promise<Target[]> {
  const made: Target[] = [];
  await inParallel(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i) => {
      const user = i % users.length;
      const created = await call<{ id: string }>(
        base,
        'POST',
        '/conversations',
        { title: `c${i}`, model: MODEL },
        users[user].token,
      );
      if (created.status >= 300) throw new Error(`create conversation: ${created.status}`);
      await sendTo(base, users[user], created.data.id, []);
      made.push({ user, conversationId: created.data.id });
    },
  );
  return made;
}

async function sendTo(
  base: string,
  user: Session,
  conversationId: string,
  attachments: string[],
): Promise<void> {
  const r = await call(
    base,
    'POST',
    `/conversations/${conversationId}/messages`,
    { content: 'What does the document say?', ...(attachments.length ? { attachments } : {}) },
    user.token,
  );
  if (r.status >= 300) throw new Error(`send: ${r.status} ${JSON.stringify(r.raw).slice(0, 300)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

#!/usr/bin/env node
// `npm start` runs this first: it builds dist/ only when the build's inputs changed since the last
// successful build, so a second start with no source change skips the ~30 s compile.
//
// The inputs are hashed by content (a checkout or a copy changes mtimes, not contents): every file
// under src/ and migrations/ except unit specs (the build leaves them out), tsconfig*.json,
// nest-cli.json and package-lock.json. After a successful build the digest of each input is written
// to dist/.build-stamp; the build runs again when an input is added, removed or changed, when the
// stamp or dist/src/main.js is missing, or when the stamp is unreadable.
//
//   node scripts/build-if-stale.js            build when stale (what `npm start` does)
//   node scripts/build-if-stale.js --check    exit 0 when fresh, 1 when stale; never builds
//   node scripts/build-if-stale.js --stamp    record the current inputs as built (after a build)
//   --root DIR                                the project directory (default: this script's parent)
'use strict';
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const STAMP = path.join('dist', '.build-stamp');
const ENTRY = path.join('dist', 'src', 'main.js');
const STAMP_VERSION = 1;
const INPUT_DIRS = ['src', 'migrations'];
const INPUT_FILES = ['nest-cli.json', 'package-lock.json'];

function walk(root, dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
  } catch (error) {
    if (error.code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) walk(root, relative, out);
    else if (entry.isFile() && !entry.name.endsWith('.spec.ts')) out.push(relative);
  }
}

/** The build's input files, relative to root (POSIX separators), sorted. */
function inputFiles(root) {
  const files = [];
  for (const dir of INPUT_DIRS) walk(root, dir, files);
  for (const name of fs.readdirSync(root)) {
    if (/^tsconfig.*\.json$/.test(name) || INPUT_FILES.includes(name)) {
      if (fs.statSync(path.join(root, name)).isFile()) files.push(name);
    }
  }
  return files.sort();
}

/** Content digest of every input: { 'src/main.ts': 'sha256…', … }. */
function fingerprint(root) {
  const digests = {};
  for (const file of inputFiles(root)) {
    digests[file] = createHash('sha256')
      .update(fs.readFileSync(path.join(root, file)))
      .digest('hex');
  }
  return digests;
}

function readStamp(root) {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(root, STAMP), 'utf8'));
    if (
      stamp &&
      stamp.version === STAMP_VERSION &&
      stamp.files &&
      typeof stamp.files === 'object'
    ) {
      return stamp;
    }
  } catch {
    // missing or unreadable: stale
  }
  return undefined;
}

/**
 * Why dist/ must be rebuilt, or undefined when it is up to date. `current` is the fingerprint of
 * the sources now (computed once by the caller so a build records what it compiled).
 */
function staleReason(root, current = fingerprint(root)) {
  if (!fs.existsSync(path.join(root, ENTRY))) return `${ENTRY} is missing`;
  const stamp = readStamp(root);
  if (!stamp) return `${STAMP} is missing or unreadable`;
  const changes = [];
  for (const [file, digest] of Object.entries(current)) {
    if (!(file in stamp.files)) changes.push(`${file} added`);
    else if (stamp.files[file] !== digest) changes.push(`${file} changed`);
  }
  for (const file of Object.keys(stamp.files)) {
    if (!(file in current)) changes.push(`${file} removed`);
  }
  if (changes.length === 0) return undefined;
  const shown = changes.slice(0, 3).join(', ');
  return changes.length > 3 ? `${shown} and ${changes.length - 3} more` : shown;
}

function writeStamp(root, files) {
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  const stamp = { version: STAMP_VERSION, built_at: new Date().toISOString(), files };
  fs.writeFileSync(path.join(root, STAMP), JSON.stringify(stamp) + '\n');
}

function build(root) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.error) throw result.error;
  return result.status === 0;
}

function main(argv) {
  const args = argv.slice(2);
  const rootAt = args.indexOf('--root');
  const root = path.resolve(rootAt >= 0 ? args[rootAt + 1] : path.join(__dirname, '..'));
  const current = fingerprint(root);
  if (args.includes('--stamp')) {
    writeStamp(root, current);
    return 0;
  }
  const reason = staleReason(root, current);
  if (args.includes('--check')) {
    console.log(reason ? `stale: ${reason}` : 'fresh');
    return reason ? 1 : 0;
  }
  if (!reason) {
    console.log('[build] dist/ is up to date (no source change since the last build)');
    return 0;
  }
  console.log(`[build] building: ${reason}`);
  const started = Date.now();
  if (!build(root)) return 1;
  // The digests taken before the build: a file edited while it ran makes the next start rebuild.
  writeStamp(root, current);
  console.log(`[build] built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

process.exitCode = main(process.argv);

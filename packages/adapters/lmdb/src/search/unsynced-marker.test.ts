import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestContext } from '@fhirstream/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbedded } from '../embedded.js';
import { searchIndexPath } from './index-env.js';
import { countApplied } from './search-fixture.js';
import { claimUnsynced, currentBoot, releaseUnsynced, sameBoot, UNSYNCED_MARKER } from './unsynced-marker.js';

const CHILD = fileURLToPath(new URL('./unsynced-crash-child.ts', import.meta.url));
/** The repository root, where `--import tsx` resolves. */
const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fhirstream-unsynced-'));
  dirs.push(d);
  return d;
};

describe('marker of unsynced index writes', () => {
  it('keeps the environment within one boot and deletes it after another boot', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data.mdb'), 'pages');
    expect(claimUnsynced(dir, 'boot-a')).toBe(false);
    expect(readFileSync(join(dir, UNSYNCED_MARKER), 'utf8')).toBe('boot-a');
    // The same boot (the process crashed, the machine did not): the page cache held every commit.
    expect(claimUnsynced(dir, 'boot-a')).toBe(false);
    expect(existsSync(join(dir, 'data.mdb'))).toBe(true);
    // Another boot: the unsynced pages may be torn.
    expect(claimUnsynced(dir, 'boot-b')).toBe(true);
    expect(existsSync(join(dir, 'data.mdb'))).toBe(false);
    expect(readFileSync(join(dir, UNSYNCED_MARKER), 'utf8')).toBe('boot-b');
    // A clean close syncs and removes the marker: a later boot keeps the environment.
    writeFileSync(join(dir, 'data.mdb'), 'pages');
    releaseUnsynced(dir);
    expect(existsSync(join(dir, UNSYNCED_MARKER))).toBe(false);
    expect(claimUnsynced(dir, 'boot-c')).toBe(false);
    expect(existsSync(join(dir, 'data.mdb'))).toBe(true);
  });

  it('compares boot times estimated from the uptime with a tolerance', () => {
    expect(sameBoot('time:1000000', 'time:1020000')).toBe(true);
    expect(sameBoot('time:1000000', 'time:1100000')).toBe(false);
    expect(sameBoot('time:1000000', 'f1b6')).toBe(false);
    expect(sameBoot(currentBoot(), currentBoot())).toBe(true);
  });
});

/** Run the child until it has indexed `n` patients, then SIGKILL it (no close, no sync). */
function indexThenKill(path: string, n: number): Promise<number> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, path, String(n)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /INDEXED (\d+)/.exec(out);
      if (m) {
        child.kill('SIGKILL');
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => {
      clearTimeout(watchdog);
      reject(new Error(`child exited before indexing: ${err}`));
    });
  });
}

async function reopenAndCount(path: string, seq: number) {
  const embedded = openEmbedded({ path });
  const projector = embedded.search.indexProjector;
  const replayed = countApplied(projector);
  await embedded.runtime.register(projector);
  await embedded.runtime.waitFor(seq, { timeoutMs: 60_000 });
  const result = await embedded.search.search(
    {
      resourceType: 'Patient',
      params: [
        ['gender', 'female'],
        ['_summary', 'count'],
      ],
    },
    requestContext(),
  );
  await embedded.close();
  return { replayed: replayed(), total: result.total };
}

describe('search index after a crash (unsynced commits)', () => {
  it('resumes where it was after a killed process, and rebuilds from the log after a machine restart', async () => {
    const path = tempDir();
    const seq = await indexThenKill(path, 400);
    const marker = join(searchIndexPath(path), UNSYNCED_MARKER);
    expect(readFileSync(marker, 'utf8')).toBe(currentBoot());

    // Killed, same boot: the index kept every commit, nothing is applied again.
    expect(await reopenAndCount(path, seq)).toEqual({ replayed: 0, total: 400 });
    expect(existsSync(marker), 'a clean close clears the marker').toBe(false);

    // Killed again, then "another boot": the index is deleted and rebuilt from the change log.
    const seq2 = await indexThenKill(path, 100);
    writeFileSync(marker, 'a-boot-before-a-power-loss');
    expect(await reopenAndCount(path, seq2)).toEqual({ replayed: seq2, total: 500 });
  }, 120_000);
});

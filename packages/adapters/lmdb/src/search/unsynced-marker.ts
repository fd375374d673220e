/**
 * The search index environment commits without fsync (see `index-env.ts`):
 * a crashed process loses nothing (its writes are in the OS page cache), but
 * a machine that stops (power loss, kernel crash) may leave the environment
 * torn. A marker file, written durably before the first unsynced write and
 * removed after a clean close has synced, names the boot that wrote it: when
 * the next open finds a marker of another boot, the environment is deleted
 * and the index is rebuilt from the change log, which is synced.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { uptime } from 'node:os';
import { join } from 'node:path';

/** The marker's file name inside the environment's directory. */
export const UNSYNCED_MARKER = 'unsynced-since-boot';

/** Two boot times estimated from the uptime within this many ms are the same boot. */
const BOOT_TIME_TOLERANCE_MS = 60_000;

/**
 * This machine's boot: Linux's boot id, or elsewhere `time:<ms>`, the boot
 * time estimated from the uptime.
 *
 * @example
 * ```ts
 * currentBoot(); // 'f1b6…' on Linux, 'time:1764160000000' elsewhere
 * ```
 */
export function currentBoot(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return `time:${Date.now() - uptime() * 1000}`;
  }
}

/** Whether two {@link currentBoot} values name the same boot. */
export function sameBoot(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.startsWith('time:') || !b.startsWith('time:')) return false;
  return Math.abs(Number(a.slice(5)) - Number(b.slice(5))) < BOOT_TIME_TOLERANCE_MS;
}

/**
 * Before opening an environment that commits without fsync: if a marker of
 * another boot is there, delete the environment (it may be torn) and say so;
 * then write this boot's marker durably.
 *
 * @example
 * ```ts
 * if (claimUnsynced('./.data/search-index')) console.warn('search index rebuilt after a machine restart');
 * const root = open({ path: './.data/search-index', noSync: true });
 * ```
 */
export function claimUnsynced(dir: string, boot = currentBoot()): boolean {
  const marker = join(dir, UNSYNCED_MARKER);
  let wiped = false;
  if (existsSync(marker) && !sameBoot(readFileSync(marker, 'utf8').trim(), boot)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    wiped = true;
  }
  writeDurably(dir, marker, boot);
  return wiped;
}

/**
 * After a clean close: fsync the environment's data file, then remove the
 * marker (a next open after a machine restart keeps the environment).
 *
 * @example
 * ```ts
 * await root.close();
 * releaseUnsynced('./.data/search-index');
 * ```
 */
export function releaseUnsynced(dir: string): void {
  const data = join(dir, 'data.mdb');
  if (existsSync(data)) fsyncPath(data, 'r+');
  rmSync(join(dir, UNSYNCED_MARKER), { force: true });
  fsyncPath(dir, 'r');
}

function writeDurably(dir: string, file: string, text: string): void {
  writeFileSync(file, text, { flag: 'w' });
  fsyncPath(file, 'r+');
  fsyncPath(dir, 'r');
}

function fsyncPath(path: string, flags: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, flags);
    fsyncSync(fd);
  } catch (error) {
    // Directories cannot be opened for fsync on Windows; the file's own fsync is what matters there.
    if (flags !== 'r' || process.platform !== 'win32') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

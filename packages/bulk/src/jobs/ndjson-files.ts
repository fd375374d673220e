/**
 * Writing ndjson files split at a maximum number of lines, with buffered
 * writes (one `write` per ~1 MiB).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

/** One file written. */
export interface NdjsonFile {
  /** File name inside the directory. */
  name: string;
  /** Lines (resources) in it. */
  count: number;
}

const NEWLINE = Buffer.from('\n');
const FLUSH_BYTES = 1 << 20;

/**
 * Writes lines into `<prefix>.<n>.ndjson` files, starting a new file every `maxLines` lines.
 *
 * @example
 * ```ts
 * const w = new NdjsonWriter(dir, 'Patient', 100_000);
 * await w.write('{"resourceType":"Patient","id":"1"}');
 * const files = await w.close(); // [{ name: 'Patient.1.ndjson', count: 1 }]
 * ```
 */
export class NdjsonWriter {
  readonly files: NdjsonFile[] = [];
  #handle: FileHandle | undefined;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #lines = 0;
  #total = 0;

  constructor(
    readonly dir: string,
    readonly prefix: string,
    readonly maxLines: number,
  ) {}

  /** Lines written so far, over all files. */
  get count(): number {
    return this.#total;
  }

  async write(line: Uint8Array | string): Promise<void> {
    if (!this.#handle || this.#lines >= this.maxLines) await this.#next();
    const bytes = typeof line === 'string' ? Buffer.from(line) : line;
    this.#chunks.push(bytes, NEWLINE);
    this.#bytes += bytes.length + 1;
    this.#lines++;
    this.#total++;
    this.files[this.files.length - 1]!.count++;
    if (this.#bytes >= FLUSH_BYTES) await this.#flush();
  }

  /** Flush and close; the files written (none when nothing was written). */
  async close(): Promise<NdjsonFile[]> {
    await this.#flush();
    await this.#handle?.close();
    this.#handle = undefined;
    return this.files;
  }

  async #next(): Promise<void> {
    await this.#flush();
    await this.#handle?.close();
    const name = `${this.prefix}.${this.files.length + 1}.ndjson`;
    this.#handle = await open(join(this.dir, name), 'w');
    this.files.push({ name, count: 0 });
    this.#lines = 0;
  }

  async #flush(): Promise<void> {
    if (this.#chunks.length === 0 || !this.#handle) return;
    const data = Buffer.concat(this.#chunks, this.#bytes);
    this.#chunks = [];
    this.#bytes = 0;
    await this.#handle.write(data);
  }
}

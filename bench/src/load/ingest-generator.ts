import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What an ingest run measured (from GO to the last answer). */
export interface IngestResult {
  resources: number;
  bundles: number;
  uploadMs: number;
}

const child = fileURLToPath(new URL('./ingest-child.mjs', import.meta.url));

/**
 * POST the Synthea bundles to `url` from ANOTHER process: it loads them
 * first (untimed), then `go()` starts the uploads and resolves with what
 * they took.
 *
 * @example
 * ```ts
 * const ingest = await startIngest({ url: `${base}/fhir`, dir, concurrency: 4 });
 * const t0 = performance.now();
 * const result = await ingest.go();
 * ```
 */
export async function startIngest(options: {
  url: string;
  dir: string;
  limit?: number;
  concurrency?: number;
}): Promise<{ go(): Promise<IngestResult> }> {
  const proc = spawn(
    process.execPath,
    [child, options.url, options.dir, String(options.limit ?? 0), String(options.concurrency ?? 4)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    proc.on('error', reject);
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('READY\n')) resolve();
    });
    void exited.then((code) => reject(new Error(`ingest generator exited with ${code}: ${stderr}`)));
  });
  return {
    async go() {
      proc.stdin.write('GO\n');
      const code = await exited;
      if (code !== 0) throw new Error(`ingest generator exited with ${code}: ${stderr}`);
      return JSON.parse(stdout.trim().split('\n').pop()!) as IngestResult;
    },
  };
}

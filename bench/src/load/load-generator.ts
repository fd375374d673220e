import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One request autocannon cycles through. */
export interface LoadRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/** What a load run measured. */
export interface LoadResult {
  requestsPerSecond: number;
  total: number;
  latencyP50: number;
  latencyP99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const child = fileURLToPath(new URL('./autocannon-child.mjs', import.meta.url));

/**
 * Load a server from ANOTHER process with autocannon, cycling through `requests`.
 *
 * @example
 * ```ts
 * const r = await runLoad({ url: 'http://127.0.0.1:8080', requests: [{ method: 'GET', path: '/fhir/Patient/1' }] });
 * r.requestsPerSecond;
 * ```
 */
export function runLoad(options: {
  url: string;
  requests: LoadRequest[];
  connections?: number;
  duration?: number;
}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult);
    });
    proc.stdin.end(JSON.stringify(options));
  });
}

// Runs autocannon in its own process (so the load generator does not share the
// server's event loop) and prints its summary as one JSON line.
// stdin: JSON { url, requests: [{ method, path, body?, headers? }], connections, duration, pipelining }
import autocannon from 'autocannon';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const options = JSON.parse(input);
const result = await autocannon({
  url: options.url,
  connections: options.connections ?? 32,
  duration: options.duration ?? 8,
  pipelining: options.pipelining ?? 1,
  requests: options.requests,
});
process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);

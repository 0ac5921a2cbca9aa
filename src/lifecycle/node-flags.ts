/**
 * Node flags jobtally's services start with: the Dockerfile's entrypoint and `npm start` carry them
 * (a test keeps them in step), and so does `npm run bench`, for its own process (which creates runs
 * and times the dashboard's queries, as the producer and web roles do) and for the worker and web
 * processes it starts: it measures what runs in production. The CLI's shebang stays plain `node`:
 * `env -S`, which a flag there needs, is missing from BusyBox.
 *
 * `--max-semi-space-size=8`: V8 grows each of its two young-generation semi-spaces to 16 MB on a
 * busy process and keeps them, 32 MB of RSS for objects that live a few milliseconds. At 8 MB a
 * worker after 10,000 runs measured about 25 MB less RSS, with no CPU per run lost at full
 * throughput (scavenges cost by what survives them, not by how often they run). A process reading
 * Postgres or Redis results saw about half of what it allocated outlive a scavenge (--trace-gc-nvp),
 * so a scavenge of a full 16 MB semi-space paused it for 12-16 ms, and one of 8 MB for 7-8 ms: the
 * p99 of a dashboard query is such a pause.
 */
export const NODE_FLAGS = ['--max-semi-space-size=8'] as const;

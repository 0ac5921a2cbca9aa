import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourcePartialError } from '../../src/errors.js';
import { MAX_BODY_BYTES } from '../../src/sources/http-client.js';
import { ControlmSimulator } from '../support/sim-controlm.js';
import { parseConfig, type ControlmSourceConfig } from '../../src/config/load.js';
import { ControlmSource } from '../../src/sources/controlm.js';
import { fetchContext, SECRET_ENV } from './support.js';

/** 50,000 full-size rows: about 36 MB of JSON, more than a whole-body read would even accept. */
const JOBS = 50_000;
const FOLDERS = 40;

// A full collection before measuring, so the baseline is what is live, not garbage awaiting a GC.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let simulator: ControlmSimulator;
let sentBytes = 0;
let peakHeap = 0;
let peakOld = 0;

/** The heap outside the young generation: what survived a scavenge, i.e. what is really held. */
function oldHeap(): number {
  return getHeapSpaceStatistics()
    .filter((space) => space.space_name !== 'new_space')
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

beforeAll(async () => {
  simulator = await ControlmSimulator.start({
    apiKey: SECRET_ENV.CTM_KEY,
    streamed: {
      jobs: JOBS,
      folders: FOLDERS,
      onChunk: (bytes) => {
        sentBytes = bytes;
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        peakOld = Math.max(peakOld, oldHeap());
      },
    },
  });
});
afterAll(async () => {
  await simulator.close();
});

/**
 * A real server answers at most 10,000 rows (the config refuses a larger pageLimit); this one
 * answer is made larger on purpose, to be bigger than a whole-body read accepts.
 */
function jobsStatus(pageLimit = 100_000) {
  const entry = { name: 'SPA', type: 'controlm', mode: 'jobs-status', endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_KEY' } }, timeoutMs: 60_000 };
  const config = parseConfig({ sources: [entry] }, { env: SECRET_ENV }).sources[0] as ControlmSourceConfig;
  return new ControlmSource({ ...config, pageLimit }, undefined);
}

describe('controlm jobs-status, a large answer', () => {
  it(`counts ${JOBS.toLocaleString('en')} streamed rows exactly, with the heap bounded far below the body size`, async () => {
    collectGarbage();
    const baseline = process.memoryUsage().heapUsed;
    const oldBaseline = oldHeap();
    peakHeap = baseline;
    peakOld = oldBaseline;
    const started = performance.now();
    const result = await jobsStatus().fetchCount(fetchContext());
    const seconds = (performance.now() - started) / 1000;
    const growthMb = (peakHeap - baseline) / 1024 / 1024;
    const retainedMb = (peakOld - oldBaseline) / 1024 / 1024;
    const bodyMb = sentBytes / 1024 / 1024;
    console.info(`streamed ${bodyMb.toFixed(1)} MB (${JOBS.toLocaleString('en')} rows) in ${seconds.toFixed(1)} s; heap peak ${growthMb.toFixed(1)} MB above the baseline, ${retainedMb.toFixed(1)} MB of it outside the young generation`);

    expect(result.count).toBe(JOBS);
    expect(result.note).toMatch(new RegExp(`^${JOBS.toLocaleString('en')} jobs ordered for \\d{6}, 50,000 executions, ${FOLDERS} folders skipped`));
    expect(result.breakdown?.byStatus).toEqual({ 'Ended OK': 25_001, 'Ended Not OK': 8333, Executing: 8333, 'Wait Condition': 8333 });
    expect(result.breakdown?.byApplication).toEqual({ HR: 16_667, FIN: 33_333 });
    expect(result.metrics).toMatchObject({ ordered: JOBS, failed: 8333, ordered_not_running: 8333 });
    // The body is larger than a whole-body read accepts: only a streaming parse can count it.
    expect(sentBytes).toBeGreaterThan(MAX_BODY_BYTES);
    // Read whole, this body takes ~80 MB of heap (the text, then every parsed row). Streamed, the
    // heap holds the counters and the 50,000 job ids (de-duplication), plus young garbage between
    // scavenges: the peak stays below the body size, what survives well below a third of it.
    expect(growthMb).toBeLessThan(bodyMb);
    expect(retainedMb).toBeLessThan(bodyMb / 3);
  }, 120_000);

  it('still refuses a streamed answer that is capped (returned < total)', async () => {
    const error = await jobsStatus(20_000).fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourcePartialError);
    expect((error as Error).message).toMatch(/returned 20,000 of 50,040 jobs/);
  });
});

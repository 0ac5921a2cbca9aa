import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ScenarioResult {
  scenario: string;
  result: 'pass' | 'fail';
  figures: string;
}

const results: ScenarioResult[] = [];

/** Records one scenario's outcome and figures for the suite's summary table. */
export function record(scenario: string, figures: string, result: 'pass' | 'fail' = 'pass'): void {
  results.push({ scenario, result, figures });
}

export async function writeSummary(file: string): Promise<string> {
  const lines = ['| scenario | result | figures |', '| --- | --- | --- |', ...results.map((entry) => `| ${entry.scenario} | ${entry.result} | ${entry.figures} |`)];
  const text = `${lines.join('\n')}\n`;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text, { flag: 'a' });
  return text;
}

/**
 * The shared license (pure): the clients' figures of one business date added up and checked
 * against it. Each client's run is checked against its own quota in `aggregate`; this is the
 * other half, which no single run can see alone.
 */

export interface ClientFigure {
  client: string;
  total: number;
  runName: string;
}

export interface LicenseUse {
  sum: number;
  limit: number;
  /** Over the license: more than its limit (equal is fine, as for a client's limit). */
  over: boolean;
  /** Each client's figure, biggest first: who used the license. */
  figures: ClientFigure[];
}

export function licenseUse(figures: readonly ClientFigure[], limit: number): LicenseUse {
  const sum = figures.reduce((total, figure) => total + figure.total, 0);
  return { sum, limit, over: sum > limit, figures: [...figures].sort((left, right) => right.total - left.total || left.client.localeCompare(right.client)) };
}

import type { FieldIssue } from '../errors.js';
import type { ClientConfigFile, LicenseShare, ScheduleConfig } from './schema.js';

/**
 * Clients as runs use them (pure): each one's scope (the sources its figure is made of) and the
 * limit its runs are checked against. Without a `clients:` section there is one client, counted
 * on every source against the top-level limit, so configs written before clients keep working.
 */
export interface ClientConfig {
  name: string;
  /** Every source of its figure, in configured order: a run over all of them is complete. */
  sources: string[];
  /** What a run's total is checked against: its own limit, its quota of the license, or the smaller. */
  limit: number;
  nearLimitPercent: number;
  /** Its units of the shared license, when it has a share. */
  quota: number | undefined;
}

export interface ClientsInput {
  clients: ClientConfigFile[] | undefined;
  /** The implicit client's name (config `client`). */
  defaultClient: string;
  limit: number;
  nearLimitPercent: number;
  license: { limit: number } | undefined;
  sourceNames: string[];
  schedules: ScheduleConfig[];
}

export interface ResolvedClients {
  clients: ClientConfig[];
  /** The configured schedules, plus one per client that has a `schedule`. */
  schedules: ScheduleConfig[];
  /** False when the config names no clients: any client label then gets the implicit client's scope. */
  declared: boolean;
  issues: FieldIssue[];
}

export function resolveClients(input: ClientsInput): ResolvedClients {
  if (input.clients === undefined) {
    const only: ClientConfig = { name: input.defaultClient, sources: input.sourceNames, limit: input.limit, nearLimitPercent: input.nearLimitPercent, quota: undefined };
    return { clients: [only], schedules: input.schedules, declared: false, issues: [] };
  }
  const issues: FieldIssue[] = [];
  const clients = input.clients.map((client, index): ClientConfig => {
    client.sources.forEach((source, at) => {
      if (!input.sourceNames.includes(source)) issues.push({ path: `clients[${index}].sources[${at}]`, message: `unknown source ${source}: configured sources are ${input.sourceNames.join(', ')}` });
    });
    if (client.share !== undefined && input.license === undefined) issues.push({ path: `clients[${index}].share`, message: 'a share needs the shared license: set license.limit' });
    const quota = client.share === undefined || input.license === undefined ? undefined : quotaOf(client.share, input.license.limit);
    const limit = Math.min(client.limit ?? (quota === undefined ? input.limit : Number.POSITIVE_INFINITY), quota ?? Number.POSITIVE_INFINITY);
    return { name: client.name, sources: input.sourceNames.filter((source) => client.sources.includes(source)), limit, nearLimitPercent: client.nearLimitPercent ?? input.nearLimitPercent, quota };
  });
  const quotas = clients.reduce((sum, client) => sum + (client.quota ?? 0), 0);
  if (input.license !== undefined && quotas > input.license.limit) {
    issues.push({ path: 'clients', message: `the clients' shares add up to ${quotas} units, more than license.limit ${input.license.limit}` });
  }
  const names = new Set(clients.map((client) => client.name));
  input.schedules.forEach((schedule, index) => {
    if (!names.has(schedule.client)) issues.push({ path: `schedules[${index}].client`, message: `unknown client ${schedule.client}: configured clients are ${[...names].join(', ')}` });
  });
  const scheduleNames = new Set(input.schedules.map((schedule) => schedule.name));
  const own = input.clients.flatMap((client, index): ScheduleConfig[] => {
    if (!client.schedule) return [];
    const name = clientScheduleName(client.name);
    if (scheduleNames.has(name)) issues.push({ path: `clients[${index}].schedule`, message: `schedule name ${name} is taken by schedules: rename that schedule` });
    return [{ name, client: client.name, ...client.schedule }];
  });
  return { clients, schedules: [...input.schedules, ...own], declared: true, issues };
}

/** The schedule a client's own `schedule` becomes (schedule names are lowercase). */
export function clientScheduleName(client: string): string {
  return `client-${client.toLowerCase().replaceAll('_', '-')}`;
}

function quotaOf(share: LicenseShare, licenseLimit: number): number {
  return typeof share === 'number' ? share : Math.floor((share.percent / 100) * licenseLimit);
}

/** What a run of `client` over `sources` is: complete when it counts every source of the client's scope. */
export function scopeOf(client: ClientConfig, sources: readonly string[]): { complete: boolean; missing: string[] } {
  const missing = client.sources.filter((source) => !sources.includes(source));
  return { complete: missing.length === 0, missing };
}

/** How a scope reads to people: `all 2 sources`, `partial scope: 1 of 2 sources`. */
export function describeScope(counted: readonly string[], of: readonly string[]): string {
  return counted.length >= of.length && of.every((source) => counted.includes(source))
    ? `complete scope: ${of.length === 1 ? 'its one source' : `all ${of.length} sources`}`
    : `partial scope: ${counted.length} of ${of.length} sources`;
}

/**
 * The client a run is for. Undeclared clients (a config without `clients:`) are labels that all
 * share the one implicit scope; declared ones are looked up, and an unknown name is undefined.
 */
export function clientNamed(config: { clients: readonly ClientConfig[]; clientsDeclared: boolean }, name: string): ClientConfig | undefined {
  const found = config.clients.find((client) => client.name === name);
  if (found || config.clientsDeclared) return found;
  const implicit = config.clients[0];
  return implicit && { ...implicit, name };
}

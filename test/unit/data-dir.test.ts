import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFileCandidates, dataDirLayout, explicitConfigPath, resolveDataDir } from '../../src/config/data-dir.js';

/**
 * Developed on Windows, deployed on Linux: the same path rules under both, Windows' run here with
 * `path.win32` so a backslash, a drive letter or a UNC share never breaks them.
 */
describe('data directory and config paths with Linux rules', () => {
  it('keeps everything under the data directory', () => {
    expect(dataDirLayout('/home/ops/.local/share/jobtally', path.posix)).toEqual({
      pgdata: '/home/ops/.local/share/jobtally/pgdata',
      pgdataLock: '/home/ops/.local/share/jobtally/pgdata.lock',
      redis: '/home/ops/.local/share/jobtally/redis',
      archive: '/home/ops/.local/share/jobtally/archive',
    });
  });

  it('resolves the data directory from config, then environment, then the OS default, relative to the working directory', () => {
    expect(resolveDataDir('data', '/srv/env', '/home/ops/.local/share/jobtally', '/opt/jobtally', path.posix)).toBe('/opt/jobtally/data');
    expect(resolveDataDir(undefined, '/srv/env', '/home/ops/.local/share/jobtally', '/opt/jobtally', path.posix)).toBe('/srv/env');
    expect(resolveDataDir(undefined, undefined, '/home/ops/.local/share/jobtally', '/opt/jobtally', path.posix)).toBe('/home/ops/.local/share/jobtally');
  });

  it('finds config files in the working directory, and an explicit one from it', () => {
    expect(configFileCandidates(['jobtally.config.yaml'], '/opt/jobtally', path.posix)).toEqual(['/opt/jobtally/jobtally.config.yaml']);
    expect(explicitConfigPath('../etc/jobtally.yaml', '/opt/jobtally', path.posix)).toBe('/opt/etc/jobtally.yaml');
  });
});

describe('data directory and config paths with Windows rules', () => {
  const localAppData = 'C:\\Users\\ops\\AppData\\Local\\jobtally\\Data';

  it('keeps everything under the data directory', () => {
    expect(dataDirLayout(localAppData, path.win32)).toEqual({
      pgdata: `${localAppData}\\pgdata`,
      pgdataLock: `${localAppData}\\pgdata.lock`,
      redis: `${localAppData}\\redis`,
      archive: `${localAppData}\\archive`,
    });
    expect(dataDirLayout('\\\\fileserver\\ops\\jobtally', path.win32).pgdata).toBe('\\\\fileserver\\ops\\jobtally\\pgdata');
  });

  it('accepts either slash and drive letters in the config, relative to the working directory', () => {
    expect(resolveDataDir('D:/jobtally/data', undefined, localAppData, 'C:\\jobtally', path.win32)).toBe('D:\\jobtally\\data');
    expect(resolveDataDir('data\\here', undefined, localAppData, 'C:\\jobtally', path.win32)).toBe('C:\\jobtally\\data\\here');
    expect(resolveDataDir('data/here', undefined, localAppData, 'C:\\jobtally', path.win32)).toBe('C:\\jobtally\\data\\here');
    expect(resolveDataDir(undefined, undefined, localAppData, 'C:\\jobtally', path.win32)).toBe(localAppData);
  });

  it('finds config files in the working directory, and an explicit one from it', () => {
    expect(configFileCandidates(['jobtally.config.yaml'], 'C:\\jobtally', path.win32)).toEqual(['C:\\jobtally\\jobtally.config.yaml']);
    expect(explicitConfigPath('..\\etc/jobtally.yaml', 'C:\\jobtally\\app', path.win32)).toBe('C:\\jobtally\\etc\\jobtally.yaml');
  });
});

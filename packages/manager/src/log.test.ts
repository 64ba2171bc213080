import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LmConfig } from './config.js';
import { createLogger, REDACT_PATHS } from './log.js';

const DAY = 86_400_000;
const MARCH_14 = Date.parse('2025-03-14T10:00:00Z');

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function logFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-log-'));
  folders.push(folder);
  // A folder that does not exist yet, so creating it is part of what is tested.
  return join(folder, 'logs', 'lm');
}

function fileMode(path: string, keepDays = 7): LmConfig['log'] {
  return { mode: 'file', path, level: 'info', keepDays };
}

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function dayName(time: number): string {
  return `tessera-lm-${new Date(time).toISOString().slice(0, 10)}.log`;
}

describe('createLogger in file mode', () => {
  it("writes JSON lines at the configured level to the UTC day's file in a new private folder", () => {
    const path = logFolder();
    const { logger, close } = createLogger(fileMode(path), { now: () => MARCH_14 });
    logger.info({ leaseId: 'lea_1' }, 'seat granted');
    logger.debug('below the level');
    close();
    expect(readdirSync(path)).toEqual(['tessera-lm-2025-03-14.log']);
    const written = lines(join(path, 'tessera-lm-2025-03-14.log'));
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ level: 30, time: '2025-03-14T10:00:00.000Z', leaseId: 'lea_1', msg: 'seat granted' });
    if (process.platform !== 'win32') {
      expect(statSync(path).mode & 0o777).toBe(0o700);
      expect(statSync(join(path, 'tessera-lm-2025-03-14.log')).mode & 0o077).toBe(0);
    }
  });

  it('switches to a new file when the UTC date changes', () => {
    const path = logFolder();
    let time = Date.parse('2025-03-14T23:59:59Z');
    const { logger, close } = createLogger(fileMode(path), { now: () => time });
    logger.info('before midnight');
    time += 2000;
    logger.info('after midnight');
    logger.info('still the 15th');
    close();
    expect(readdirSync(path).sort()).toEqual(['tessera-lm-2025-03-14.log', 'tessera-lm-2025-03-15.log']);
    expect(lines(join(path, 'tessera-lm-2025-03-14.log')).map((line) => line.msg)).toEqual(['before midnight']);
    expect(lines(join(path, 'tessera-lm-2025-03-15.log')).map((line) => line.msg)).toEqual(['after midnight', 'still the 15th']);
  });

  it('deletes day files older than keepDays at start and at each day switch, and nothing else', () => {
    const path = logFolder();
    createLogger(fileMode(path), { now: () => MARCH_14 }).close(); // creates the folder
    for (let age = 1; age <= 6; age++) writeFileSync(join(path, dayName(MARCH_14 - age * DAY)), '{}\n');
    const others = ['notes.txt', 'tessera-lm-latest.log', 'other-2025-01-01.log'];
    for (const name of others) writeFileSync(join(path, name), 'keep me\n');

    let time = MARCH_14;
    const { logger, close } = createLogger(fileMode(path, 3), { now: () => time });
    const ages = () =>
      readdirSync(path)
        .filter((name) => !others.includes(name))
        .map((name) => Math.round((Date.parse(`${name.slice(11, 21)}T10:00:00Z`) - MARCH_14) / DAY))
        .sort((a, b) => a - b);
    // Today and the three days before it stay.
    expect(ages()).toEqual([-3, -2, -1, 0]);

    time += DAY;
    logger.info('next day');
    close();
    expect(ages()).toEqual([-2, -1, 0, 1]);
    for (const name of others) expect(existsSync(join(path, name)), name).toBe(true);
  });

  it('never writes keys, passwords or tokens', () => {
    const path = logFolder();
    const { logger, close } = createLogger(fileMode(path), { now: () => MARCH_14 });
    const licenseKey = 'tessera-license:621.eyJ2IjoxLCJraWQiOiJrMSJ9.c2lnbmF0dXJlLWJ5dGVz';
    const onlineKey = 'ABCDE-FGH12-JKMNP-QRST3-VWXY9';
    logger.info(
      {
        key: licenseKey,
        password: 'x-pass-x',
        token: 't-token-t',
        nested: { onlineKey, deeper: { password: 'deep-pass' } },
        req: { headers: { authorization: 'Bearer admin-secret' } },
        leaseId: 'lea_visible',
      },
      'license loaded',
    );
    logger.warn(`could not load ${licenseKey} or ${onlineKey}`);
    logger.info(
      `pasted:\n-----BEGIN TESSERA LICENSE-----\n${licenseKey.slice(0, 40)}\n${licenseKey.slice(40)}\n-----END TESSERA LICENSE-----`,
    );
    close();
    const text = readFileSync(join(path, 'tessera-lm-2025-03-14.log'), 'utf8');
    for (const secret of [licenseKey, 'eyJ2IjoxLCJraWQiOiJrMSJ9', onlineKey, 'x-pass-x', 't-token-t', 'deep-pass', 'admin-secret']) {
      expect(text, secret).not.toContain(secret);
    }
    expect(text).toContain('lea_visible');
    const [first, second, third] = lines(join(path, 'tessera-lm-2025-03-14.log'));
    expect(first).toMatchObject({ key: '[redacted]', password: '[redacted]', token: '[redacted]', nested: { onlineKey: '[redacted]' } });
    expect(second?.msg).toBe('could not load tessera-license:[redacted] or [redacted]');
    expect(third?.msg).toBe('pasted:\n[redacted]');
  });
});

describe('createLogger in console mode', () => {
  it('builds a logger at the configured level without touching the file system', () => {
    const { logger, close } = createLogger({ mode: 'console', path: null, level: 'warn', keepDays: 7 });
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
    close();
  });
});

describe('REDACT_PATHS', () => {
  it('covers the secret fields at the top and nested levels, and the authorization header', () => {
    for (const path of ['key', 'onlineKey', 'licenseKey', 'token', 'password', 'license', 'request', '*.key', '*.password', '*.token']) {
      expect(REDACT_PATHS).toContain(path);
    }
    expect(REDACT_PATHS).toContain('req.headers.authorization');
  });
});

import { describe, expect, it } from 'vitest';
import { loadCenterConfig } from './config.js';
import { PrettyLog } from './log-format.js';

const at = Date.parse('2026-03-01T10:15:03Z');
const hhmmss = new Date(at).toTimeString().slice(0, 8);

describe('PrettyLog', () => {
  it('prints a request as one line when it completes: method, URL, status, time, request id', () => {
    const lines: string[] = [];
    const log = new PrettyLog({ write: (text: string) => lines.push(text) });
    log.write(
      JSON.stringify({
        level: 30,
        time: at,
        pid: 1,
        hostname: 'h',
        reqId: 'req_a1',
        req: { method: 'GET', url: '/v1/products' },
        msg: 'incoming request',
      }),
    );
    expect(lines).toEqual([]);
    log.write(
      JSON.stringify({ level: 30, time: at, reqId: 'req_a1', res: { statusCode: 200 }, responseTime: 4.4, msg: 'request completed' }),
    );
    expect(lines).toEqual([`${hhmmss} INFO  GET /v1/products 200 4 ms  req_a1\n`]);
  });

  it('prints the level, the message and the other fields as key=value, an error as its message', () => {
    const log = new PrettyLog({ write: () => undefined });
    expect(
      log.format(
        JSON.stringify({
          level: 40,
          time: at,
          msg: 'mail could not be sent',
          id: 'mail_1',
          attempts: 2,
          err: { type: 'Error', message: 'ECONNREFUSED 127.0.0.1:25', stack: 'Error: …\n at x' },
        }),
      ),
    ).toBe(`${hhmmss} WARN  mail could not be sent  id=mail_1 attempts=2 err="ECONNREFUSED 127.0.0.1:25"`);
    expect(log.format(JSON.stringify({ level: 50, time: at, msg: 'x', where: { a: 1 }, note: 'two words' }))).toBe(
      `${hhmmss} ERROR x  where={"a":1} note="two words"`,
    );
  });

  it('passes a line that is not JSON through, and keeps no more than 1000 unfinished requests', () => {
    const log = new PrettyLog({ write: () => undefined });
    expect(log.format('plain text\n')).toBe('plain text');
    for (let i = 0; i < 1_001; i++)
      log.format(JSON.stringify({ level: 30, time: at, reqId: `r${i}`, req: { method: 'GET', url: `/${i}` }, msg: 'incoming request' }));
    // The oldest one was forgotten: its completion still prints, without the method and URL.
    expect(log.format(JSON.stringify({ level: 30, time: at, reqId: 'r0', res: { statusCode: 204 }, msg: 'request completed' }))).toBe(
      `${hhmmss} INFO  request 204  r0`,
    );
    expect(log.format(JSON.stringify({ level: 30, time: at, reqId: 'r1000', res: { statusCode: 204 }, msg: 'request completed' }))).toBe(
      `${hhmmss} INFO  GET /1000 204  r1000`,
    );
  });
});

describe('TESSERA_LOG_FORMAT', () => {
  const masterKey = { TESSERA_MASTER_KEY: 'x'.repeat(43) };
  it('is auto by default, takes json and pretty, and names a bad value', () => {
    const read = (value?: string) =>
      loadCenterConfig({ data: '/tmp/unused' }, { ...masterKey, ...(value === undefined ? {} : { TESSERA_LOG_FORMAT: value }) });
    expect(read()).toMatchObject({ ok: true, config: { logFormat: 'auto' } });
    expect(read('json')).toMatchObject({ ok: true, config: { logFormat: 'json' } });
    expect(read('pretty')).toMatchObject({ ok: true, config: { logFormat: 'pretty' } });
    expect(read('colour')).toEqual({ ok: false, problems: ['TESSERA_LOG_FORMAT must be json, pretty or auto (got "colour").'] });
  });
});

/**
 * The log for a person at a terminal (TESSERA_LOG_FORMAT=pretty, or auto on a TTY): pino's JSON lines turned into
 * "10:15:03 INFO  message  key=value", a request as one line when it completes ("GET /v1/products 200 4 ms"). The
 * JSON lines stay the format for files and log collectors. Written here rather than taken from pino-pretty: a
 * few lines of code instead of a dozen packages in every installed License Center.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, or that the line's head shows already. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime']);
/** Requests begun and not yet completed: their method and URL, for the completion line. Bounded. */
const MAX_OPEN = 1_000;

export class PrettyLog {
  private readonly open = new Map<string, string>();

  constructor(private readonly out: { write(text: string): unknown }) {}

  /** pino's destination interface: one serialised line at a time. */
  write(line: string): void {
    const text = this.format(line);
    if (text !== null) this.out.write(text + '\n');
  }

  /** One JSON log line as text; null for a line that waits for another (a request's start). */
  format(line: string): string | null {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return line.replace(/\n$/, '');
    }
    const reqId = typeof entry.reqId === 'string' ? entry.reqId : null;
    const req = entry.req as { method?: string; url?: string } | undefined;
    if (entry.msg === 'incoming request' && reqId && req) {
      if (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value!);
      this.open.set(reqId, `${req.method} ${req.url}`);
      return null;
    }
    const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '--:--:--';
    const level = (LEVELS[entry.level as number] ?? 'LOG').padEnd(5);
    let message = typeof entry.msg === 'string' ? entry.msg : '';
    const res = entry.res as { statusCode?: number } | undefined;
    if (entry.msg === 'request completed' && reqId && res) {
      const request = this.open.get(reqId) ?? 'request';
      this.open.delete(reqId);
      const ms = typeof entry.responseTime === 'number' ? ` ${Math.round(entry.responseTime)} ms` : '';
      message = `${request} ${res.statusCode}${ms}`;
    }
    const fields = Object.entries(entry)
      .filter(([key]) => !HIDDEN.has(key))
      .map(([key, value]) => `${key}=${fieldText(value)}`);
    const tail = [...fields, ...(reqId ? [reqId] : [])].join(' ');
    return `${time} ${level} ${message}${tail ? `  ${tail}` : ''}`;
  }
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value === '' ? JSON.stringify(value) : value;
  const err = value as { message?: unknown; type?: unknown } | null;
  // An error reads as its message; its stack is in the JSON format, for whoever debugs the code.
  if (err && typeof err === 'object' && typeof err.message === 'string') return JSON.stringify(err.message);
  return JSON.stringify(value);
}

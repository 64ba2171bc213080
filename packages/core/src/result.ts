import type { Code } from './codes.js';

/** A failure as data: a stable code and a sentence a person can act on. */
export interface Failure {
  readonly ok: false;
  readonly code: Code;
  readonly detail: string;
}

/** Success carrying a value. */
export interface Success<T> {
  readonly ok: true;
  readonly value: T;
}

/** Every fallible core function returns this instead of throwing. */
export type Result<T> = Success<T> | Failure;

export function ok<T>(value: T): Success<T> {
  return { ok: true, value };
}

export function fail(code: Code, detail: string): Failure {
  return { ok: false, code, detail };
}

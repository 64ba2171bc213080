/** The CLI's exit codes and its one error type; main.ts maps every failure to one line and one code. */
export const EXIT = {
  OK: 0,
  /** The License Manager refused: an invalid key, a failed sync, a license not in force. */
  REFUSED: 1,
  /** Wrong arguments. */
  USAGE: 2,
  /** The License Manager could not be reached. */
  UNREACHABLE: 3,
  /** The admin token is missing or wrong. */
  UNAUTHORIZED: 4,
  /** The configuration or data path is unusable (serve). */
  CONFIG: 5,
  /** Anything unexpected. */
  INTERNAL: 6,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code: string,
  ) {
    super(message);
  }
}

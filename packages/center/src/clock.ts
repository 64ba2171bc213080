/** The system's time, for the License Center's services; tests pass a clock of their own (core's Clock). */
import type { Clock } from '@tessera/core';

export type { Clock };

export const systemClock: Clock = { now: () => Date.now() };

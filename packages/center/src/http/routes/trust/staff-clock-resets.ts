/** Staff answer an offline License Manager's request code with a clock reset (services/trust/clock-resets.ts). Roles: admin, support. */
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../../auth.js';
import { valueOf } from '@tessera/http';
import { body } from '../../route-kit.js';
import type { ClockResets } from '../../../services/trust/clock-resets.js';
import { record } from '../../schemas.js';

/** The services these routes use. */
export type ClockResetRoutes = { clockResets: ClockResets };

export function staffClockResetRoutes(app: FastifyInstance, services: ClockResetRoutes): void {
  app.post<{ Body: { requestCode: string } }>(
    '/v1/staff/request-codes/clock-reset',
    {
      schema: {
        response: {
          200: record({
            lmid: { type: 'string' },
            fromHighWater: { type: 'string' },
            toTime: { type: 'string' },
            reset: { type: 'string', description: 'The document the customer loads: tessera-lm load.' },
          }),
        },
        tags: ['licenses (staff)'],
        summary:
          "A vendor-signed reset of an offline License Manager's clock mark, answering its request code (which carries the mark): for a clock that was set ahead by mistake. Roles: admin, support.",
        ...body({
          requestCode: { type: 'string', minLength: 1, maxLength: 65_536, description: 'The text `tessera-lm request-code` printed.' },
        }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, ['admin', 'support']);
      return valueOf(await services.clockResets.issue(request.body.requestCode, staff.userId));
    },
  );
}

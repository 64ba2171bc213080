/**
 * Who may use the seat API on a customer's network. With `seats.secret` set, GET /v1/license and every /v1/seats/*
 * request must carry it in `x-tessera-seat-secret` (the SDK sends it), so a host on the LAN that is not one of the
 * product's nodes can neither take seats nor read the signed answers. Checkouts also spend a per-address budget
 * (`seats.checkoutsPerMinute`): each one signs a token and commits to SQLite, so a flood would be costly.
 *
 * Heartbeats are not budgeted by volume, on purpose: a heartbeat refused for volume would cost a healthy node its
 * seat, and they need no budget to be cheap. An unknown lease is a map lookup; a known one signs at most once per
 * TTL/6 (the token cache in leases/seats.ts), and there are no more known leases than the license grants seats, so
 * however many heartbeats arrive the signing stays bounded by seats × 6 / TTL a second. Releases are lookups too.
 */
import { refuse } from '@tessera/http';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { tokenMatches } from '../identity.js';
import type { LmServices } from '../services/index.js';
import { AddressBudget } from './address-budget.js';

export const SEAT_SECRET_HEADER = 'x-tessera-seat-secret';

export interface SeatAccess {
  /** onRequest of GET /v1/license and the seat routes. */
  requireSecret: onRequestHookHandler;
  /** onRequest of checkout, after requireSecret. */
  checkoutBudget: onRequestHookHandler;
}

export function seatAccess(services: LmServices, now: () => number): SeatAccess {
  const { secret, checkoutsPerMinute } = services.seatAccess;
  const budget = new AddressBudget(checkoutsPerMinute, now);
  return {
    async requireSecret(request: FastifyRequest) {
      if (secret === null) return;
      const presented = request.headers[SEAT_SECRET_HEADER];
      // Compared in constant time (tokenMatches hashes both sides); the value is never logged or echoed.
      if (typeof presented === 'string' && presented !== '' && tokenMatches(presented, secret)) return;
      throw refuse(
        'UNAUTHORIZED',
        `This License Manager's seat API needs its seat secret in the ${SEAT_SECRET_HEADER} header (seats.secret in its configuration; the product passes it to the SDK).`,
      );
    },
    async checkoutBudget(request: FastifyRequest, reply: FastifyReply) {
      if (budget.take(request.ip)) return;
      reply.header('retry-after', String(Math.max(1, budget.retryAfterSeconds(request.ip))));
      throw refuse(
        'RATE_LIMITED',
        `Too many checkouts from this address (more than ${checkoutsPerMinute} a minute, seats.checkoutsPerMinute); wait and try again.`,
      );
    },
  };
}

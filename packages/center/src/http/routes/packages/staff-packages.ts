/**
 * Installation packages, staff side (/v1/staff/packages): upload (the raw file as the body, streamed to the
 * packages folder), list and withdraw. Customers' routes are customer-packages.ts, the signed links' downloads.ts.
 * Roles: admin and sales upload, admin withdraws, every staff role reads.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { refuse, valueOf } from '@tessera/http';
import type { Packages, UploadInput } from '../../../services/packages/packages.js';
import { requireStaff } from '../../auth.js';
import { object, params, text } from '../../route-kit.js';
import { items, record, ref } from '../../schemas.js';

const STAFF_TAGS = ['packages (staff)'];
const SELL = ['admin', 'sales'] as const;

const UPLOAD_QUERY = object({
  product: { ...text(32), description: 'The product slug, e.g. graphdb.' },
  version: { ...text(64), description: 'Letters, digits, dots, plus signs, underscores, hyphens, e.g. 2.4.1.' },
  platform: { ...text(64), description: 'Letters, digits, dots, underscores, hyphens, e.g. linux-amd64.' },
  filename: { ...text(200), description: 'What a download is saved as: a plain file name, no folders.' },
});
const LIST_QUERY = object({ product: { ...text(32), description: 'Only this product (its slug).' } }, []);

/** The services these routes use. */
export type StaffPackageRoutes = { packages: Packages };

export function staffPackageRoutes(app: FastifyInstance, services: StaffPackageRoutes): void {
  const { packages } = services;

  // The upload's body is the file: handed on as the request stream (never buffered), in this scope only.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    scope.post<{ Querystring: UploadInput }>(
      '/v1/staff/packages',
      {
        schema: {
          response: { 201: record({ package: ref('Package') }) },
          tags: STAFF_TAGS,
          summary: 'Upload an installation package: the raw file as the body (application/octet-stream). Roles: admin, sales.',
          description:
            'Streamed to the packages folder while its size and SHA-256 are computed; answers 201 { package }. 409 PACKAGE_EXISTS when the ' +
            'product, version and platform are uploaded already; 413 over TESSERA_PACKAGE_MAX_BYTES. A refused or interrupted upload keeps nothing.',
          consumes: ['application/octet-stream'],
          querystring: UPLOAD_QUERY,
        },
      },
      async (request, reply) => {
        const staff = requireStaff(request, SELL);
        const body: unknown = request.body;
        if (body !== undefined && !(body instanceof Readable)) {
          throw refuse('UNSUPPORTED_MEDIA_TYPE', 'Send the file itself as the body, with Content-Type: application/octet-stream.');
        }
        const length = request.headers['content-length'];
        const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
        const outcome = await packages.upload(request.query, body ?? null, declared, staff.userId);
        // Refused before the whole body arrived: the rest must not be read as the next request on this connection.
        if (!outcome.ok && !request.raw.complete) reply.header('connection', 'close');
        const uploaded = valueOf(outcome);
        reply.status(201);
        return { package: uploaded };
      },
    );
  });

  app.get<{ Querystring: { product?: string } }>(
    '/v1/staff/packages',
    {
      schema: {
        response: { 200: items(ref('Package')) },
        tags: STAFF_TAGS,
        summary: 'The current installation packages, newest first; product= narrows to one product.',
        querystring: LIST_QUERY,
      },
    },
    async (request) => {
      requireStaff(request);
      return { items: valueOf(await packages.list(request.query.product)) };
    },
  );

  app.delete<{ Params: { packageId: string } }>(
    '/v1/staff/packages/:packageId',
    {
      schema: {
        response: { 200: record({ package: ref('WithdrawnPackage') }) },
        tags: STAFF_TAGS,
        summary: 'Withdraw a package: its file is removed and its download links stop working. Role: admin.',
        params: params({ packageId: 'pkg_' }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, ['admin']);
      return { package: valueOf(await packages.withdraw(request.params.packageId, staff.userId)) };
    },
  );
}

/**
 * GET /downloads/{packageId}?expires&sig: a signed download link (made by POST /v1/licenses/{id}/packages/{pkg}/link)
 * answers the file, streamed. The link alone authorises it, with no session, so `curl -O` works on a server.
 * Expired → 410 LINK_EXPIRED, altered → 403 LINK_INVALID, withdrawn or missing → 404.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { valueOf } from '@tessera/http';
import { object, params } from '../../route-kit.js';
import type { Packages } from '../../../services/packages/packages.js';

const QUERY = object(
  {
    expires: { type: 'string', maxLength: 200, description: 'Unix seconds until which the link works.' },
    sig: { type: 'string', maxLength: 200, description: 'The link signature (base64url).' },
  },
  [],
);

/** The services these routes use. */
export type DownloadRoutes = { packages: Packages };

export function downloadRoutes(app: FastifyInstance, services: DownloadRoutes): void {
  const { packages } = services;

  app.get<{ Params: { packageId: string }; Querystring: { expires?: string; sig?: string } }>(
    '/downloads/:packageId',
    {
      schema: {
        response: {
          200: { description: 'The file.', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        },
        tags: ['downloads'],
        summary: 'Download an installation package with a signed link (no login): the file, its SHA-256 in X-Checksum-Sha256 and Digest.',
        params: params({ packageId: 'pkg_' }),
        querystring: QUERY,
      },
    },
    async (request, reply) => {
      const { package: found, file } = valueOf(await packages.download(request.params.packageId, request.query.expires, request.query.sig));
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(found.size))
        .header('content-disposition', `attachment; filename="${found.filename}"`)
        .header('cache-control', 'private, no-store')
        .header('x-checksum-sha256', found.sha256)
        .header('digest', `sha-256=${Buffer.from(found.sha256, 'hex').toString('base64')}`)
        .header('x-content-type-options', 'nosniff');
      if (request.method === 'HEAD') {
        // An empty stream keeps the Content-Length above (HEAD answers the headers a GET would have).
        await file.close();
        return reply.send(Readable.from([]));
      }
      request.log.info({ packageId: found.id }, 'package download');
      return reply.send(file.createReadStream());
    },
  );
}

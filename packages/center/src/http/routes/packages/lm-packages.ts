/**
 * The License Manager's installation packages (/v1/lm-packages): the built-in product every customer may
 * download, whatever they bought (services/packages/lm-product.ts). Any signed-in user lists them and gets a signed
 * download link, which downloads.ts serves like any package's.
 */
import type { FastifyInstance } from 'fastify';
import { valueOf } from '@tessera/http';
import type { Packages } from '../../../services/packages/packages.js';
import { requireUser } from '../../auth.js';
import { enforce } from '../../rate-limit.js';
import type { WindowLimiter } from '../../rate-limit.js';
import { params } from '../../route-kit.js';
import { items, record, ref } from '../../schemas.js';

const TAGS = ['packages (License Manager)'];

/** The services these routes use. */
export type LmPackageRoutes = { packages: Packages; limiters: { downloadLinks: WindowLimiter } };

export function lmPackageRoutes(app: FastifyInstance, services: LmPackageRoutes): void {
  const { packages, limiters } = services;

  app.get(
    '/v1/lm-packages',
    {
      schema: {
        response: { 200: items(ref('Package')) },
        tags: TAGS,
        summary: "The License Manager's installation packages (tarball, .deb), newest first: every signed-in user may download them.",
        description: 'platform is linux-x64 for the self-contained tarball and debian-amd64 for the .deb (Debian, Ubuntu).',
      },
    },
    async (request) => {
      requireUser(request);
      return { items: await packages.forLm() };
    },
  );

  app.post<{ Params: { packageId: string } }>(
    '/v1/lm-packages/:packageId/link',
    {
      schema: {
        response: {
          200: record({ url: { type: 'string', description: 'Works without a login until expiresAt.' }, expiresAt: { type: 'integer' } }),
        },
        tags: TAGS,
        summary:
          "A signed download link for one of the License Manager's packages, working for TESSERA_DOWNLOAD_LINK_MINUTES (15) without a login.",
        description: "404 for a package that is not one of the License Manager's. Limited per user per minute (429 RATE_LIMITED).",
        params: params({ packageId: 'pkg_' }),
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      enforce(limiters.downloadLinks, user.userId, reply, 'download links');
      reply.header('cache-control', 'no-store');
      return valueOf(await packages.lmLink(request.params.packageId, user.userId));
    },
  );
}

/**
 * The vendor's brand: GET /v1/brand for everyone (the portal reads it before anyone logs in: the login page is
 * branded too), and the settings for admins (GET and PUT /v1/staff/brand), audited.
 */
import { valueOf } from '@tessera/http';
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../../auth.js';
import { body } from '../../route-kit.js';
import { ref } from '../../schemas.js';
import type { BrandService } from '../../../services/brand/brand.js';
import type { BrandOverrides } from '../../../services/brand/brand-rules.js';
import { MAX_LOGO_BYTES, MAX_NAME } from '../../../services/brand/brand-rules.js';

const nullableText = (maxLength: number, description: string) => ({ type: ['string', 'null'], maxLength, description }) as const;

/** The services these routes use. */
export type BrandRoutes = { brand: BrandService };

export function brandRoutes(app: FastifyInstance, services: BrandRoutes): void {
  const { brand } = services;

  app.get(
    '/v1/brand',
    {
      schema: {
        response: { 200: ref('Brand') },
        tags: ['service'],
        summary: "The vendor's name, logo, support address and accent colour.",
      },
    },
    async () => {
      const { mailFrom: _sender, ...shown } = await brand.current();
      return shown;
    },
  );

  app.get(
    '/v1/staff/brand',
    {
      schema: {
        response: { 200: ref('BrandSettings') },
        tags: ['administration (staff)'],
        summary: 'The brand in effect, the defaults from the environment, and the overrides set here. Role: admin.',
      },
    },
    async (request) => {
      requireStaff(request, ['admin']);
      return brand.settings();
    },
  );

  app.put<{ Body: BrandOverrides }>(
    '/v1/staff/brand',
    {
      schema: {
        response: { 200: ref('BrandSettings') },
        tags: ['administration (staff)'],
        summary:
          "Set the brand's overrides, all at once; null follows the environment's value. Checked strictly: a name without markup, a data: image logo, an accent dark enough for white text. Audited. Role: admin.",
        ...body({
          name: nullableText(MAX_NAME, "The vendor's name, 1 to 60 characters."),
          logo: nullableText(
            Math.ceil((MAX_LOGO_BYTES * 4) / 3) + 40,
            `A data:image/png, jpeg, webp or svg+xml URL in base64, at most ${MAX_LOGO_BYTES} bytes.`,
          ),
          supportEmail: nullableText(254, 'Where customers write for help.'),
          mailFrom: nullableText(254, 'The sender address of the mails; the name shown is the brand name.'),
          accent: nullableText(7, '#rrggbb in lower case, with a contrast of 4.5:1 or more for white text.'),
        }),
      },
    },
    async (request) => {
      const staff = requireStaff(request, ['admin']);
      return valueOf(await brand.update(request.body, staff.userId));
    },
  );
}

import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import { spec } from '../schema/openapi.generated';

/** The router typed by the plugin's OpenAPI spec. */
export type AppliancesRouter = Awaited<
  ReturnType<typeof createValidatedOpenApiRouter<typeof spec>>
>;

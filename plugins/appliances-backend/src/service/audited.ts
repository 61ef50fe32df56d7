import { AuditorService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { Request } from 'express';

/** Runs a state change under an audit event that records its success or failure. */
export async function audited<T>(
  auditor: AuditorService,
  req: Request<any, any, any, any>,
  eventId: string,
  meta: JsonObject,
  change: () => Promise<T>,
): Promise<T> {
  const event = await auditor.createEvent({
    eventId,
    request: req,
    severityLevel: 'medium',
    meta,
  });
  try {
    const result = await change();
    await event.success();
    return result;
  } catch (error) {
    await event.fail({ error: error as Error });
    throw error;
  }
}

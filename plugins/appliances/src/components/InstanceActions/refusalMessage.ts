import type { InstanceActionRefusal } from '../../hosting/hostingApi';
import { errorSentence } from '../../errors/errorSentence';

/** What to tell the user when an action was refused or failed. */
export function refusalMessage(error: any): string {
  const body = error?.body as Partial<InstanceActionRefusal> | undefined;
  if (body?.reason === 'stale-version') {
    return `Someone changed this instance since you loaded it: it is now ${body.currentState}. The list has been refreshed; check and try again.`;
  }
  if (body?.reason === 'forbidden-action') {
    const allowed = body.allowedActions?.join(', ') || 'nothing';
    return `${errorSentence(error)} It is ${body.currentState}; you may ${allowed}.`;
  }
  return errorSentence(error);
}

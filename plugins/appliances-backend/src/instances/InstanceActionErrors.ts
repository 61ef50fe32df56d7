import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import {
  InstanceAction,
  InstanceState,
} from '@tempest/backstage-plugin-appliances-common';

/** Why an action was not carried out, with what the caller needs to try again. */
export type ActionRefusal = {
  reason:
    | 'stale-version'
    | 'forbidden-action'
    | 'action-in-progress'
    | 'agent-refused'
    | 'agent-unavailable'
    | 'no-destination';
  currentState: InstanceState;
  currentVersion: number;
  allowedActions: InstanceAction[];
};

/** 409: stale version, forbidden action, another action in flight, or the agent refused. */
export class InstanceActionConflict extends ConflictError {
  constructor(
    message: string,
    readonly details: ActionRefusal,
  ) {
    super(message);
  }
}

/** 503: the host or its agent could not be reached; nothing changed. */
export class InstanceActionUnavailable extends ServiceUnavailableError {
  constructor(
    message: string,
    readonly details: ActionRefusal,
  ) {
    super(message);
  }
}

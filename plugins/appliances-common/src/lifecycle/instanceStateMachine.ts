/**
 * The instance lifecycle, after Virtuoso's status relations: each state lists
 * the actions a user may take in it and where each action leads. Backend,
 * frontend and scaffolder all read it from here.
 */
export const INSTANCE_STATES = [
  'registered',
  'provisioning',
  'stored',
  'started',
  'stopped',
  'suspended',
  'migrating',
  'deleting',
  'deleted',
  'error',
] as const;

export type InstanceState = (typeof INSTANCE_STATES)[number];

export const INSTANCE_ACTIONS = [
  'start',
  'stop',
  'suspend',
  'resume',
  'delete',
  'retry',
  'migrate',
] as const;

export type InstanceAction = (typeof INSTANCE_ACTIONS)[number];

type Transitions = Readonly<Partial<Record<InstanceAction, InstanceState>>>;

/** For each state, the actions allowed in it and the state each one reaches. */
export const INSTANCE_TRANSITIONS: Readonly<
  Record<InstanceState, Transitions>
> = {
  registered: { delete: 'deleted' },
  provisioning: {},
  stored: { start: 'started', delete: 'deleting', migrate: 'migrating' },
  // A running instance moves live: it keeps running while its memory and disk are copied.
  started: { stop: 'stopped', suspend: 'suspended', migrate: 'migrating' },
  stopped: { start: 'started', delete: 'deleting', migrate: 'migrating' },
  // A suspended guest's memory lives in its host's hypervisor: stop it to move it.
  suspended: { resume: 'started', stop: 'stopped' },
  migrating: {},
  deleting: {},
  deleted: {},
  // A retry hands the instance back to the step that failed; the backend
  // decides which state that is.
  error: { retry: 'provisioning', delete: 'deleting' },
};

export function isInstanceState(value: unknown): value is InstanceState {
  return (
    typeof value === 'string' &&
    (INSTANCE_STATES as readonly string[]).includes(value)
  );
}

export function isInstanceAction(value: unknown): value is InstanceAction {
  return (
    typeof value === 'string' &&
    (INSTANCE_ACTIONS as readonly string[]).includes(value)
  );
}

/** The actions a user may take on an instance in this state. */
export function allowedActions(state: InstanceState): InstanceAction[] {
  return Object.keys(INSTANCE_TRANSITIONS[state]) as InstanceAction[];
}

/** Where an action leads from a state, or undefined when the state forbids it. */
export function nextState(
  state: InstanceState,
  action: InstanceAction,
): InstanceState | undefined {
  return INSTANCE_TRANSITIONS[state][action];
}

/** States in which an instance exists on a host, and so appears in the catalog. */
export const CATALOGUED_STATES: readonly InstanceState[] = [
  'stored',
  'started',
  'stopped',
  'suspended',
  'migrating',
  'deleting',
];

/** Whether an instance in this state has a catalog entity. */
export function isCatalogued(state: string): boolean {
  return (CATALOGUED_STATES as readonly string[]).includes(state);
}

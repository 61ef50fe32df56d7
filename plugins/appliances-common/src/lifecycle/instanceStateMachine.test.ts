import {
  INSTANCE_STATES,
  INSTANCE_TRANSITIONS,
  allowedActions,
  isInstanceAction,
  isInstanceState,
  nextState,
} from './instanceStateMachine';

describe('instance state machine', () => {
  it('follows the power cycle of a running instance', () => {
    expect(nextState('stored', 'start')).toBe('started');
    expect(nextState('started', 'suspend')).toBe('suspended');
    expect(nextState('suspended', 'resume')).toBe('started');
    expect(nextState('started', 'stop')).toBe('stopped');
    expect(nextState('stopped', 'delete')).toBe('deleting');
  });

  it('forbids what a state does not allow', () => {
    expect(nextState('started', 'delete')).toBeUndefined();
    expect(nextState('started', 'start')).toBeUndefined();
    expect(nextState('stopped', 'resume')).toBeUndefined();
    expect(nextState('deleted', 'start')).toBeUndefined();
  });

  it('offers no user action while work is under way or after deletion', () => {
    for (const state of [
      'provisioning',
      'migrating',
      'deleting',
      'deleted',
    ] as const) {
      expect(allowedActions(state)).toEqual([]);
    }
  });

  it('moves stopped, stored and running instances, never a suspended one', () => {
    expect(allowedActions('stopped')).toEqual(['start', 'delete', 'migrate']);
    expect(allowedActions('stored')).toContain('migrate');
    expect(allowedActions('started')).toContain('migrate');
    expect(allowedActions('suspended')).not.toContain('migrate');
  });

  it('only ever leads to known states', () => {
    for (const state of INSTANCE_STATES) {
      for (const target of Object.values(INSTANCE_TRANSITIONS[state])) {
        expect(isInstanceState(target)).toBe(true);
      }
    }
  });

  it('recognises states and actions from untrusted input', () => {
    expect(isInstanceState('started')).toBe(true);
    expect(isInstanceState('STARTED')).toBe(false);
    expect(isInstanceAction('toString')).toBe(false);
    expect(isInstanceAction('suspend')).toBe(true);
  });
});

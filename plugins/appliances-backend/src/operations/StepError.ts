/** A step that failed; the message says why in words a user can act on. */
export class StepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepError';
  }
}

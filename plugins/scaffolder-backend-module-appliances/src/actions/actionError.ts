/**
 * An error a template action ends with, written for the person who ran the
 * template. The scaffolder writes a failed step's `stack` into the task log,
 * so the stack is the sentence itself: no frames, no absolute paths.
 */
export class ActionError extends Error {
  constructor(message: string) {
    const sentence = /[.!?]$/.test(message.trim())
      ? message.trim()
      : `${message.trim()}.`;
    super(sentence);
    this.name = 'Error';
    this.stack = sentence;
  }
}

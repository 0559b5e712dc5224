/**
 * Thrown when no server of the needed kind can be had. The message is the whole story in one
 * line (what to install or set), so the stack is dropped: a trace through the harness would
 * only bury that line in the test output.
 */
export class TestBackendUnavailableError extends Error {
  override readonly name = 'TestBackendUnavailableError';

  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

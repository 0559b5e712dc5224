import { AgentbusError, ERROR_CODES, type ValidationError, type ValidationIssue } from '@agentbus/schema';

/**
 * A record in Redis that the swarm cannot read: a field that fails its model (code
 * `INVALID_MESSAGE`, `field` names it) or a key of the wrong TYPE (code `WRONG_TYPE`). Written
 * by some other program or an older agent; the message says which key and what to change.
 */
export class SwarmDataError extends AgentbusError {
  /** The Redis key. */
  readonly key: string;
  /** Dotted path of the first bad field; undefined for a key of the wrong type. */
  readonly field: string | undefined;
  readonly issues: readonly ValidationIssue[];

  constructor(key: string, message: string, options: { field?: string; issues?: readonly ValidationIssue[]; wrongType?: boolean; cause?: unknown } = {}) {
    super(options.wrongType ? ERROR_CODES.WRONG_TYPE : ERROR_CODES.INVALID_MESSAGE, message, { cause: options.cause });
    this.name = 'SwarmDataError';
    this.key = key;
    this.field = options.field;
    this.issues = options.issues ?? [];
  }
}

/** A stored record that fails its model's schema. */
export function invalidRecord(key: string, what: string, error: ValidationError): SwarmDataError {
  const first = error.issues[0];
  const field = first?.path || '(root)';
  const detail = first ? `${first.message} [${first.rule}]` : error.message;
  return new SwarmDataError(
    key,
    `${key} holds an invalid ${what}: field ${field}: ${detail}. Fix that field of the key (or delete the key); the program that wrote it does not follow the ${what} model`,
    { field, issues: error.issues, cause: error },
  );
}

/** A key whose Redis TYPE is not the one its record is stored as. */
export function wrongType(key: string, what: string, expected: string, actual: string): SwarmDataError {
  return new SwarmDataError(
    key,
    `${key} is a ${actual}, but a ${what} is stored as a ${expected}: run remediation with apply: true to move it aside (to ${key}:quarantine:<ts>), or delete it`,
    { wrongType: true },
  );
}

export function notFound(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.NOT_FOUND, message);
}

export function conflict(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.CONFLICT, message);
}

export function invalidArgument(message: string): AgentbusError {
  return new AgentbusError(ERROR_CODES.INVALID_ARGUMENT, message);
}

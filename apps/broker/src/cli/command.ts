import type { CliIo } from './cli-io';

/** One `agentbus <name>` command. */
export interface CliCommand {
  readonly name: string;
  /** One line for `agentbus --help`. */
  readonly summary: string;
  /** The whole `agentbus <name> --help` text. */
  readonly usage: string;
  /** Runs with the arguments after the name; resolves with the exit code, or throws a CliError. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

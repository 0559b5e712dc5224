import { isAgentbusError } from '@agentbus/schema';
import { BrokerRequestError } from '../client/broker-request-error';
import { GLOBAL_HELP } from './args';
import { CliError } from './cli-error';
import type { CliCommand } from './command';
import type { CliIo } from './cli-io';
import { consumeCommand } from './commands/consume';
import { dlqCommand } from './commands/dlq';
import { healthCommand } from './commands/health';
import { remediateCommand } from './commands/remediate';
import { sendCommand } from './commands/send';
import { smokeCommand } from './commands/smoke';
import { tailCommand } from './commands/tail';
import { tasksCommand } from './commands/tasks';
import { tokenCommand } from './commands/token';
import { trimCommand } from './commands/trim';

/** Every `agentbus` command, in the order --help lists them. */
export const CLI_COMMANDS: readonly CliCommand[] = [
  smokeCommand,
  sendCommand,
  tailCommand,
  consumeCommand,
  healthCommand,
  dlqCommand,
  trimCommand,
  tasksCommand,
  remediateCommand,
  tokenCommand,
];

export const CLI_USAGE = `usage: agentbus <command> [options]

The agentbus command line. It talks to Redis directly (REDIS_URL, like redis-cli), or to a
broker's HTTP API with --broker URL (AGENTBUS_BROKER_URL) and a token (AGENTBUS_TOKEN) where
that makes sense (smoke, send, health, dlq, trim, tasks, remediate; tail and consume need Redis).

commands:
${CLI_COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

agentbus <command> --help shows a command's options. Exit status: 0 ok, 1 failed (one line on
stderr says why), 2 wrong usage.

${GLOBAL_HELP}`;

/** The one line a failure prints: the broker's status and reason, or the error's message. */
function reasonOf(error: unknown): string {
  if (error instanceof BrokerRequestError) return error.status === 0 ? error.message : `HTTP ${error.status} ${error.code}: ${error.message}`;
  if (isAgentbusError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Runs `agentbus <argv>`; resolves with the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${CLI_USAGE}\n`);
    return 0;
  }
  if (name === undefined) {
    io.stderr.write('agentbus: no command given; see agentbus --help\n');
    return 2;
  }
  const command = CLI_COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`agentbus: unknown command ${JSON.stringify(name)}: use one of ${CLI_COMMANDS.map((c) => c.name).join(', ')}; see agentbus --help\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.stderr.write(`agentbus ${name}: ${reasonOf(error).replace(/\s*\n\s*/g, ' ')}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

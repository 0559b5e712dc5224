// Run by cleanup-registry.test.ts in a child process: starts a Redis, reports it, then dies
// in the way argv[2] names, without calling stop().
import { startRedis } from '../src/index';

const server = await startRedis();
process.stdout.write(`${JSON.stringify({ pid: server.pid, dir: server.dataDir })}\n`);
if (process.argv[2] === 'sigkill') process.kill(process.pid, 'SIGKILL');
if (process.argv[2] === 'exit') process.exit(0);
if (process.argv[2] === 'sigterm') process.kill(process.pid, 'SIGTERM');

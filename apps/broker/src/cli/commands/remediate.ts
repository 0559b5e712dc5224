import { GLOBAL_HELP, parseCommandArgs, str } from '../args';
import { brokerClientOf, withDirect } from '../connection';
import type { CliCommand } from '../command';
import { json, table } from '../format';

const USAGE = `usage: agentbus remediate [--apply] [--scan-type NAME]

Scans the namespace for swarm keys (task:*, finding:*, context:*, ...) of the wrong Redis TYPE
or without a TTL, and stores the report (swarm:remediation:<date>:<scan-type>). Changes nothing
unless --apply: then missing TTLs are set and keys of the wrong type are renamed aside to
<key>:quarantine:<ms> (never deleted). Keys of other programs are counted, never judged.
Through --broker it needs an admin token.

${GLOBAL_HELP}`;

export const remediateCommand: CliCommand = {
  name: 'remediate',
  summary: 'scan for swarm keys of the wrong type or without a TTL; fix with --apply',
  usage: USAGE,
  async run(argv, io) {
    const args = parseCommandArgs('remediate', argv, { apply: { type: 'boolean' }, 'scan-type': { type: 'string' } }, io.env);
    if (args.values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const g = args.global;
    const options = { apply: args.values.apply === true, ...(str(args, 'scan-type') === undefined ? {} : { scanType: str(args, 'scan-type')! }) };
    const client = brokerClientOf(g);
    const report = client ? await client.remediate(options) : await withDirect(g, (bus) => bus.swarm.remediate(options));
    if (g.json) {
      io.stdout.write(json(report));
      return 0;
    }
    io.stdout.write(
      `scanned ${report.keys_scanned} keys: ${report.wrong_type_found} of the wrong type, ${report.missing_ttl_found} without a TTL${report.applied ? ' (fixed)' : report.violations.length > 0 ? ' (report only: --apply fixes them)' : ''}\n`,
    );
    if (report.violations.length > 0) {
      io.stdout.write(`${table(['key', 'issue', 'expected', 'actual'], report.violations.map((v) => [v.key, v.issue, v.expected_type, v.actual_type]))}\n`);
    }
    // Actions are free-form in the report model: a string, or { action, key, to?, ttl_seconds?, result }.
    for (const a of report.actions) {
      if (typeof a === 'string') io.stdout.write(`${a}\n`);
      else io.stdout.write(`${String(a.action)} ${String(a.key)}${a.to ? ` -> ${String(a.to)}` : ''}${a.ttl_seconds ? ` (${String(a.ttl_seconds)} s)` : ''}: ${String(a.result)}\n`);
    }
    return 0;
  },
};

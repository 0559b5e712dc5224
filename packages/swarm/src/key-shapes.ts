import {
  CONTEXT_TTL_SECONDS,
  FINDING_TTL_SECONDS,
  REMEDIATION_SCAN_TTL_SECONDS,
  SESSION_SUMMARY_TTL_SECONDS,
  SWARM_REGISTRY_TTL_SECONDS,
  TASK_TTL_SECONDS,
  type KeyBuilder,
} from '@agentbus/schema';
import { FINDINGS_INDEX_TTL_SECONDS, STATUS_INDEX_TTL_SECONDS } from './internal/swarm-context';

/** What a key of one shape must be: its Redis TYPE and the TTL it is written with. */
export interface KeyShape {
  /** The key prefix under the namespace, e.g. `agentbus:task:`. */
  prefix: string;
  /** Names the record (`task`, ...). */
  what: string;
  /** The TYPE it is written as. */
  type: string;
  /** Other TYPEs that are read too (the hashes older Python agents wrote). */
  alsoReadable: readonly string[];
  /** The TTL every write sets, seconds. */
  ttlSeconds: number;
}

/**
 * The key shapes the swarm owns, most specific first. Keys under the namespace that match none
 * (transport streams, reliability records, other programs' keys) are counted, never judged.
 */
export function swarmKeyShapes(keys: KeyBuilder): KeyShape[] {
  const p = keys.namespace === '' ? '' : `${keys.namespace}:`;
  return [
    { prefix: `${p}swarm:tasks:status:`, what: 'task status index', type: 'zset', alsoReadable: [], ttlSeconds: STATUS_INDEX_TTL_SECONDS },
    { prefix: `${p}swarm:tasks:lease:`, what: 'task lease index', type: 'zset', alsoReadable: [], ttlSeconds: STATUS_INDEX_TTL_SECONDS },
    { prefix: `${p}swarm:findings:task:`, what: 'findings index', type: 'zset', alsoReadable: [], ttlSeconds: FINDINGS_INDEX_TTL_SECONDS },
    { prefix: `${p}swarm:registry:`, what: 'swarm registry', type: 'string', alsoReadable: [], ttlSeconds: SWARM_REGISTRY_TTL_SECONDS },
    { prefix: `${p}swarm:remediation:`, what: 'remediation scan', type: 'string', alsoReadable: [], ttlSeconds: REMEDIATION_SCAN_TTL_SECONDS },
    { prefix: `${p}task:`, what: 'task', type: 'hash', alsoReadable: [], ttlSeconds: TASK_TTL_SECONDS },
    { prefix: `${p}finding:`, what: 'finding', type: 'string', alsoReadable: ['hash'], ttlSeconds: FINDING_TTL_SECONDS },
    { prefix: `${p}context:`, what: 'context', type: 'string', alsoReadable: ['hash'], ttlSeconds: CONTEXT_TTL_SECONDS },
    { prefix: `${p}session:`, what: 'session summary', type: 'string', alsoReadable: [], ttlSeconds: SESSION_SUMMARY_TTL_SECONDS },
  ];
}

/** The shape a key has, if the swarm owns it. */
export function shapeOf(shapes: readonly KeyShape[], key: string): KeyShape | undefined {
  return shapes.find((s) => key.startsWith(s.prefix) && key.length > s.prefix.length);
}

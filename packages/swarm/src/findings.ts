import { FindingHashCodec, FindingModel, uuidv7, type Finding } from '@agentbus/schema';
import { findConflicts, type FindingConflict } from './conflicts';
import { conflict, notFound } from './errors';
import {
  detectConflictsOptionsSchema,
  listFindingsOptionsSchema,
  postFindingInputSchema,
  recordIdSchema,
  type DetectConflictsOptions,
  type ListFindingsOptions,
  type PostFindingInput,
} from './inputs';
import { parseArgument, parseInput } from './internal/parse';
import { decodeOrThrow, decodeStored, invalidEntry, type RecordReader } from './internal/records';
import { isQuarantined } from './internal/scan';
import { FINDINGS_INDEX_TTL_SECONDS, findingsIndexKey, type SwarmContext } from './internal/swarm-context';
import type { SwarmList } from './swarm-list';

/** Findings are JSON strings; older Python agents wrote them as hashes, which are read too. */
const FINDING_READER: RecordReader<Finding> = { what: 'finding', expected: 'string', string: FindingModel, hash: FindingHashCodec };
const PAGE = 100;

/** What detectConflicts found among a task's findings. */
export interface ConflictReport {
  task_id: string;
  threshold: number;
  /** Findings compared. */
  findings: number;
  /** Largest confidence gap first. */
  conflicts: FindingConflict[];
  /** Findings of the task that could not be read (left out of the comparison). */
  invalid: SwarmList<Finding>['invalid'];
}

/** Findings: claims workers make, how sure they are, what backs them, and where they conflict. */
export interface SwarmFindings {
  /** Stores a finding (confidence in [0, 1], citations as URIs), indexed under its task; CONFLICT when the id exists. */
  postFinding(input: PostFindingInput): Promise<Finding>;
  getFinding(id: string): Promise<Finding>;
  /** A task's findings, oldest first; `source: 'scan'` also finds findings other programs wrote without the index. */
  listFindings(taskId: string, options?: ListFindingsOptions): Promise<SwarmList<Finding>>;
  /**
   * Pairs of a task's findings that disagree (different normalised claims, or the same claim
   * affirmed by one and denied by the other) and whose confidences differ by more than the
   * threshold (default: the swarm's conflictThreshold, 0.3). See `findConflicts`.
   */
  detectConflicts(taskId: string, options?: DetectConflictsOptions): Promise<ConflictReport>;
}

export function createSwarmFindings(ctx: SwarmContext): SwarmFindings {
  const { store, keys } = ctx;
  const findingPrefix = keys.finding('x').slice(0, -1);
  const missing = (id: string) => () => notFound(`finding ${id} not found (${keys.finding(id)}); findings expire ${FindingModel.ttlSeconds} s after they were posted`);

  async function fromIndex(taskId: string, limit: number): Promise<SwarmList<Finding>> {
    const index = findingsIndexKey(keys, taskId);
    const items: Finding[] = [];
    const invalid: SwarmList<Finding>['invalid'] = [];
    let offset = 0;
    while (items.length < limit) {
      const ids = await store.indexRange(index, offset, PAGE);
      if (ids.length === 0) break;
      const stored = await store.readMany(ids.map((id) => keys.finding(id)));
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const d = decodeStored(keys.finding(id), stored[i]!, FINDING_READER);
        if (d.ok) items.push(d.value);
        else if (d.error) invalid.push(invalidEntry(d.error));
        else gone.push(id);
      });
      // Expired findings leave their index entry behind; drop it.
      await store.indexRemove(index, gone);
      offset += ids.length - gone.length;
    }
    return { items: items.slice(0, limit), invalid };
  }

  async function fromScan(taskId: string, limit: number): Promise<SwarmList<Finding>> {
    const items: Finding[] = [];
    const invalid: SwarmList<Finding>['invalid'] = [];
    for await (const page of store.scan(`${findingPrefix}*`, ctx.options.scanCount)) {
      const live = page.filter((k) => !isQuarantined(k));
      const stored = await store.readMany(live);
      live.forEach((key, i) => {
        const d = decodeStored(key, stored[i]!, FINDING_READER);
        if (d.ok) {
          if (d.value.task_id === taskId) items.push(d.value);
        } else if (d.error) invalid.push(invalidEntry(d.error));
      });
    }
    items.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id));
    return { items: items.slice(0, limit), invalid };
  }

  async function list(taskId: string, options: ListFindingsOptions): Promise<SwarmList<Finding>> {
    const task = parseArgument(recordIdSchema, taskId, 'task id');
    const o = parseInput(listFindingsOptionsSchema, options, 'list findings options');
    const limit = o.limit ?? ctx.options.listLimit;
    return o.source === 'index' ? fromIndex(task, limit) : fromScan(task, limit);
  }

  return {
    async postFinding(input) {
      const i = parseInput(postFindingInputSchema, input, 'finding input');
      const id = i.id ?? uuidv7(ctx.options.now());
      const finding: Finding = {
        id,
        claim: i.claim,
        confidence: i.confidence,
        citations: i.citations,
        speech_act: i.speech_act,
        worker_id: i.worker_id,
        ...(i.task_id === undefined ? {} : { task_id: i.task_id }),
        timestamp: i.timestamp ?? ctx.isoNow(),
      };
      const key = keys.finding(id);
      const text = FindingModel.encode(finding);
      const entry =
        i.task_id === undefined
          ? undefined
          : { key: findingsIndexKey(keys, i.task_id), member: id, score: Date.parse(finding.timestamp), ttlSeconds: FINDINGS_INDEX_TTL_SECONDS };
      if (!(await store.createString(key, text, FindingModel.ttlSeconds, entry))) {
        throw conflict(`finding ${id} exists already (${key}): post under another id, or leave id out for a new UUIDv7`);
      }
      return decodeOrThrow(key, { type: 'string', value: text }, FINDING_READER, missing(id));
    },

    async getFinding(id) {
      const key = keys.finding(id);
      return decodeOrThrow(key, await store.read(key), FINDING_READER, missing(id));
    },

    listFindings: (taskId, options = {}) => list(taskId, options),

    async detectConflicts(taskId, options = {}) {
      const o = parseInput(detectConflictsOptionsSchema, options, 'detect conflicts options');
      const threshold = o.threshold ?? ctx.options.conflictThreshold;
      const { items, invalid } = await list(taskId, { source: o.source, limit: 10_000 });
      return { task_id: taskId, threshold, findings: items.length, conflicts: findConflicts(taskId, items, threshold), invalid };
    },
  };
}

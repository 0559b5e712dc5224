import { RemediationScanModel, type RemediationScan, type RemediationViolation } from '@agentbus/schema';
import { remediateOptionsSchema, type RemediateOptions } from './inputs';
import { parseInput } from './internal/parse';
import { isQuarantined, quarantineKey } from './internal/scan';
import type { SwarmContext } from './internal/swarm-context';
import { shapeOf, swarmKeyShapes } from './key-shapes';

/** Key hygiene of the namespace. */
export interface SwarmRemediation {
  /**
   * SCANs the namespace for swarm keys whose TYPE is not what their shape needs (a `task:*`
   * that is not a hash, ...) or that have no TTL, and stores the report as a RemediationScan
   * at `swarm:remediation:{date}:{scanType}`. Changes nothing else unless `apply: true`; then it
   * sets each missing TTL (the shape's TTL) and renames each key of the wrong type aside to
   * `<key>:quarantine:<ms>` (never deleting it; the quarantined key gets `quarantineTtlSeconds`).
   * A key that changed since the scan saw it is left alone (`result: 'changed'`).
   */
  remediate(options?: RemediateOptions): Promise<RemediationScan>;
}

/** What remediation did to one key. */
export interface RemediationAction {
  [field: string]: unknown;
  action: 'expire' | 'quarantine';
  key: string;
  /** `done`, or `changed` when the key was no longer as the scan saw it. */
  result: 'done' | 'changed';
  ttl_seconds?: number;
  to?: string;
}

export function createSwarmRemediation(ctx: SwarmContext): SwarmRemediation {
  const shapes = swarmKeyShapes(ctx.keys);
  return {
    async remediate(options = {}) {
      const o = parseInput(remediateOptionsSchema, options, 'remediation options');
      const startedAt = ctx.options.now();
      const date = o.date ?? new Date(startedAt).toISOString().slice(0, 10);
      const violations: RemediationViolation[] = [];
      const actions: RemediationAction[] = [];
      let scanned = 0;
      let wrongTypes = 0;
      let missingTtls = 0;

      for await (const page of ctx.store.scan(ctx.keys.all(), ctx.options.scanCount)) {
        scanned += page.length;
        const owned = page.flatMap((key) => {
          const shape = isQuarantined(key) ? undefined : shapeOf(shapes, key);
          return shape ? [{ key, shape }] : [];
        });
        const infos = await ctx.store.inspect(owned.map((x) => x.key));
        for (let i = 0; i < owned.length; i++) {
          const { key, shape } = owned[i]!;
          const { type, ttl } = infos[i]!;
          if (type === 'none') continue;
          if (type !== shape.type && !shape.alsoReadable.includes(type)) {
            wrongTypes++;
            violations.push({ key, expected_type: shape.type, actual_type: type, issue: 'wrong_type', detail: `a ${shape.what} is stored as a ${shape.type}` });
            if (o.apply) {
              const to = quarantineKey(key, startedAt);
              const moved = await ctx.store.quarantine(key, type, to, ctx.options.quarantineTtlSeconds);
              actions.push({ action: 'quarantine', key, to, result: moved ? 'done' : 'changed' });
            }
          } else if (ttl === -1) {
            missingTtls++;
            violations.push({ key, expected_type: shape.type, actual_type: type, issue: 'missing_ttl', detail: `a ${shape.what} expires ${shape.ttlSeconds} s after its last write` });
            if (o.apply) {
              const set = await ctx.store.expireIfPersistent(key, type, shape.ttlSeconds);
              actions.push({ action: 'expire', key, ttl_seconds: shape.ttlSeconds, result: set ? 'done' : 'changed' });
            }
          }
        }
      }

      const report: RemediationScan = {
        date,
        scan_type: o.scanType,
        keys_scanned: scanned,
        wrong_type_found: wrongTypes,
        missing_ttl_found: missingTtls,
        violations,
        actions,
        applied: o.apply,
        timestamp: new Date(startedAt).toISOString(),
      };
      const text = RemediationScanModel.encode(report);
      await ctx.store.putString(ctx.keys.remediation(date, o.scanType), text, RemediationScanModel.ttlSeconds);
      return report;
    },
  };
}

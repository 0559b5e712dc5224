/** The topics this broker has served, reported by /metrics and /health/comprehensive. */
export interface TopicTracker {
  add(topic: string): void;
  list(): readonly string[];
}

/**
 * Bounded: every topic becomes a label value of several series, so past `max` topics new ones
 * are served but not reported (the configured ones always are).
 */
export function createTopicTracker(configured: readonly string[], max: number): TopicTracker {
  const topics = new Set(configured);
  let snapshot: readonly string[] = [...topics];
  return {
    add(topic) {
      if (topics.has(topic) || topics.size >= Math.max(max, configured.length)) return;
      topics.add(topic);
      snapshot = [...topics];
    },
    list: () => snapshot,
  };
}

const TOPIC_LABEL = /[{,]topic="((?:[^"\\]|\\.)*)"/;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * Prometheus text without the samples of topics the caller may not see. Series without a topic
 * label (breaker, rate limits, process) are kept; `# HELP` and `# TYPE` lines are kept too, so the
 * text stays valid exposition format with fewer samples.
 */
export function filterTopicSeries(text: string, sees: (topic: string) => boolean): string {
  return text
    .split('\n')
    .filter((line) => {
      if (line.startsWith('#')) return true;
      const m = TOPIC_LABEL.exec(line);
      return !m || sees(unescapeLabel(m[1]!));
    })
    .join('\n');
}

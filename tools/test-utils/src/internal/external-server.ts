/** The error kill() and restart() give for servers the test does not own. */
export function notOwned(what: string, envVar: string): () => Promise<never> {
  return () => Promise.reject(new Error(`cannot ${what} an external server (${envVar}): start one the harness owns for fault tests`));
}

/** host and port of a URL, with the scheme's default port when it names none. */
export function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  // URL keeps IPv6 literals in brackets; clients want the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port === '' ? defaultPort : Number(parsed.port) };
}

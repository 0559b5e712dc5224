/** Marks a key remediation moved aside: `<key>:quarantine:<ms>`. */
export const QUARANTINE_MARK = ':quarantine:';

/** Whether remediation moved this key aside (listings and scans skip it). */
export function isQuarantined(key: string): boolean {
  return key.includes(QUARANTINE_MARK);
}

/** Where remediation moves a key of the wrong type. */
export function quarantineKey(key: string, atMs: number): string {
  return `${key}${QUARANTINE_MARK}${atMs}`;
}

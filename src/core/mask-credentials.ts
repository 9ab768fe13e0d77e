/**
 * Replaces the user-info part of every URL in `text` (`redis://:secret@host`, `rediss://user:pw@h`,
 * `https://u:p@…`) and a Sentinel URL's `?sentinelPassword=` with `***`, so a REDIS_URL with a password never reaches a log line, an error,
 * the local console or the audit log. Works on free text because error messages embed URLs.
 */
export function maskCredentials(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"<>]*@/gi, '$1***@')
    .replace(/([?&]sentinelPassword=)[^\s&#'"<>]*/gi, '$1***');
}

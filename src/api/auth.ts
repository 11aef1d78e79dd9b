import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { StocklineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether a presented token is the expected one, in time that depends on neither: both are
 * hashed to 32 bytes first, so timingSafeEqual compares equal lengths and the time does not
 * tell how long the expected token is nor how much of it matched.
 */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected)) && expected.length > 0;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Refuses to serve stock to the network without a token, unless anonymous access is asked
 * for explicitly (api.allowAnonymous): an empty token is an easy mistake to deploy.
 */
export function checkApiExposure(api: Readonly<StocklineConfig['api']>): void {
  if (api.token || api.allowAnonymous || isLoopback(api.host)) return;
  throw new ConfigError(
    `api.host ${api.host} is reachable from other machines but api.token is empty: set STOCKLINE__API__TOKEN (or _FILE), bind to 127.0.0.1, or set api.allowAnonymous: true to serve without a token on purpose`,
    { key: 'api.host' },
  );
}

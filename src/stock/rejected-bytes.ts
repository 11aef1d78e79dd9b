import type { RejectedMessage } from './model.js';

/**
 * How a rejected message's bytes are stored (migration 0006): PostgreSQL `text` holds neither a
 * 0x00 byte nor bytes that are not UTF-8. The decoder attaches the original bytes to the
 * rejection; the statement stores them in the bytea columns when they are not text.
 */
export interface RejectedBytes {
  /** The key, when it is not text (else undefined: the text column holds it exactly). */
  keyBytes?: Buffer;
  valueBytes?: Buffer;
  /** True: the header values of `headers` are base64, because some were not UTF-8. */
  headersBase64?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** True when the bytes survive a round trip through a PostgreSQL `text` column. */
export const isStorableText = (bytes: Buffer): boolean => !bytes.includes(0) && isUtf8(bytes);

/** The stored form of a rejection: what goes to the text columns, what to the bytea ones. */
export function storedRejection(r: RejectedMessage): {
  key: string | null;
  keyBytes: Buffer | null;
  value: string | null;
  valueBytes: Buffer | null;
  headers: string;
  headersBase64: boolean;
} {
  const bytes = r as RejectedMessage & RejectedBytes;
  return {
    key: bytes.keyBytes ? null : r.key,
    keyBytes: bytes.keyBytes ?? null,
    value: bytes.valueBytes ? null : r.value,
    valueBytes: bytes.valueBytes ?? null,
    // JSON escapes a 0x00 in a header value as \u0000, which text holds.
    headers: JSON.stringify(r.headers),
    headersBase64: bytes.headersBase64 === true,
  };
}

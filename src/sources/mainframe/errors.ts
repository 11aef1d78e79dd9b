// Errors of the mainframe decoding layer. Layout errors (copybook, explicit offsets, code page)
// are configuration problems found once at start; record errors are bad input that no retry fixes.
import { StocklineError, UnrecoverableError, type ErrorContext } from '../../errors.js';

/** A copybook that does not parse or uses something the parser does not support. */
export class CopybookError extends StocklineError {
  /** The message reads `FILE:LINE: problem`, as compilers print it, so editors can jump there. */
  constructor(file: string, line: number, problem: string) {
    super(`${file}:${line}: ${problem}`, { code: 'STOCKLINE_COPYBOOK_INVALID', context: { file, line } });
  }
}

/** An explicit-offset layout whose fields overlap, fall outside the record or are malformed. */
export class LayoutError extends StocklineError {
  constructor(message: string, context: ErrorContext) {
    super(message, { code: 'STOCKLINE_LAYOUT_INVALID', context });
  }
}

/** A CCSID the decoder has no table for. */
export class CodePageError extends StocklineError {
  constructor(ccsid: unknown, supported: readonly number[]) {
    super(`CCSID ${String(ccsid)} is not supported; supported CCSIDs: ${supported.join(', ')}`, {
      code: 'STOCKLINE_CCSID_UNSUPPORTED',
      context: { ccsid },
    });
  }
}

/**
 * A record that does not decode with its layout: wrong length, or bytes that are not valid for
 * a field's type. The context keeps the byte position as `fieldOffset`, not `offset`, because
 * `offset` is the Kafka offset that the consumer adds when it routes the record to the DLQ.
 */
export class RecordDecodeError extends UnrecoverableError {
  constructor(message: string, context: ErrorContext) {
    super(message, { code: 'STOCKLINE_RECORD_UNDECODABLE', context });
  }
}

/** Bytes as a COBOL hex literal, X'00012C', the way mainframe people read dumps. */
export function hexLiteral(bytes: Uint8Array): string {
  return `X'${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase()}'`;
}

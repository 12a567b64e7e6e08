import type { Multipart, MultipartFields, MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../core/errors.js';
import { nulRefused } from './nul-guard.js';

/** Limits of a multipart form; also given to @fastify/multipart (busboy) when registering it. */
export interface FormLimits {
  /** Bytes of one text field's value. */
  fieldSize: number;
  fields: number;
  files: number;
  parts: number;
}

const badForm = (message: string) => new AppError('BAD_MULTIPART', 400, `invalid multipart body: ${message}`);

/**
 * The client's mistake in a multipart body as a 4xx. busboy throws plain Errors for a missing or
 * bogus boundary and for a body that ends early, and @fastify/multipart's own limit errors are
 * 413 or 406: every one of them is the client's doing, so every one is a 400 here.
 */
export const multipartError = (e: unknown, limits: FormLimits): unknown => {
  if (isAppError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case 'FST_PARTS_LIMIT':
      return badForm(`more than ${limits.parts} parts`);
    case 'FST_FILES_LIMIT':
      return badForm(`more than ${limits.files} file${limits.files === 1 ? '' : 's'}`);
    case 'FST_FIELDS_LIMIT':
      return badForm(`more than ${limits.fields} fields`);
    case 'FST_PROTO_VIOLATION':
      return badForm('a field name is a reserved word');
    default: {
      if (!(e instanceof Error)) return badForm('unreadable form');
      // Size limits keep their own 4xx (413 from the file size limit).
      const status = (e as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500 && status !== 406) return e;
      // busboy's boundary errors ("Boundary not found", "The needle cannot have a length
      // bigger than 256") say it in its own terms; its other messages are fixed strings
      // ("Unexpected end of multipart data", ...), safe to show.
      if (/boundary|needle/i.test(e.message)) return badForm('the boundary is missing or invalid');
      return badForm(e.message.slice(0, 200));
    }
  }
};

export type FormPart = MultipartFile | (MultipartValue<string> & { fields: MultipartFields });

/**
 * The parts of a multipart form, with every parser error turned into a 4xx and every text field
 * checked: a value cut at the size limit is refused (not silently shortened), and so is a NUL
 * (PostgreSQL text cannot hold it) or a field whose content type made it a non-string.
 */
export async function* formParts(req: FastifyRequest, limits: FormLimits): AsyncGenerator<FormPart> {
  const parts = req.parts()[Symbol.asyncIterator]();
  try {
    yield* checkedParts(parts, limits);
  } finally {
    await parts.return?.(undefined);
  }
}

async function* checkedParts(parts: AsyncIterator<Multipart>, limits: FormLimits): AsyncGenerator<FormPart> {
  for (;;) {
    let next: IteratorResult<Multipart>;
    try {
      next = await parts.next();
    } catch (e) {
      throw multipartError(e, limits);
    }
    if (next.done) return;
    const part = next.value;
    if (part.type === 'field') {
      if (part.fieldnameTruncated || part.valueTruncated)
        throw badForm(`field '${part.fieldname.slice(0, 64)}' is longer than ${limits.fieldSize} bytes`);
      if (typeof part.value !== 'string') throw badForm(`field '${part.fieldname.slice(0, 64)}' is not text`);
      if (part.value.includes('\u0000') || part.fieldname.includes('\u0000')) throw nulRefused();
      yield part as FormPart;
    } else {
      yield part;
    }
  }
}

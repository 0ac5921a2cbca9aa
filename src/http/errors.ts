import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ConflictError, InputError, isJobtallyError, NotFoundError, type FieldIssue } from '../errors.js';

/** HTTP-only failures: who may do what. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldIssue[] };
}

/** Maps our error taxonomy to status codes; unknown errors are 500 with no internals leaked. */
export function describeHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof InputError) {
    const status = error.issues.length > 0 ? 422 : 400;
    return { status, body: { error: { code: error.code, message: error.message, ...(error.issues.length > 0 ? { fields: error.issues } : {}) } } };
  }
  if (error instanceof NotFoundError) return { status: 404, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof ConflictError) return { status: 409, body: { error: { code: error.code, message: error.describe() } } };
  if (isJobtallyError(error) && error.transient) return { status: 503, body: { error: { code: error.code, message: error.describe() } } };
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 403 ? 'FORBIDDEN' : 'BAD_REQUEST', message: (error as Error).message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error; see the web role logs' } } };
}

export function jsonErrorHandler(logger: Logger) {
  return (error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const { status, body } = describeHttpError(error);
    if (status >= 500) logger.error({ err: error }, 'request failed');
    response.status(status).json(body);
  };
}

import { ErrorCode, TEXT_FORMAT, TEXT_PATTERN_PREFIX, type ErrorBody } from '@utopia/shared';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '../db/database.js';
import { isAppError, type FieldProblem } from '../errors.js';

/** RETRY_AFTER_SECONDS is used in the Retry-After header of every 503. */
export const RETRY_AFTER_SECONDS = 5;

/** errorBody is used to build the one error shape every failure is answered with. */
export function errorBody(
  statusCode: number,
  code: string,
  message: string,
  details?: FieldProblem[],
): ErrorBody {
  const body: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (details !== undefined && details.length > 0) body.details = details;
  return body;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  /** Set by ajv when a key of the object failed `propertyNames`. */
  propertyName?: string;
}

function fieldOf(context: string | undefined, issue: ValidationIssue): string {
  const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const extra =
    issue.params?.['additionalProperty'] ??
    issue.params?.['missingProperty'] ??
    issue.propertyName ??
    issue.params?.['propertyName'];
  const leaf = typeof extra === 'string' ? (path ? `${path}.${extra}` : extra) : path;
  // Body fields are named as the client wrote them; params and query strings say which part.
  const prefix = context === 'body' ? undefined : context;
  return [prefix, leaf].filter((p) => p !== undefined && p !== '').join('.');
}

function describe(issue: ValidationIssue): string {
  if (typeof issue.params?.['additionalProperty'] === 'string') return 'is not a known field';
  if (typeof issue.params?.['missingProperty'] === 'string') return 'is required';
  const pattern = issue.params?.['pattern'];
  const text =
    (typeof pattern === 'string' && pattern.startsWith(TEXT_PATTERN_PREFIX)) ||
    issue.params?.['format'] === TEXT_FORMAT;
  const what = text ? 'must not contain NUL characters or lone surrogates' : issue.message;
  if (typeof issue.propertyName === 'string') return `is not a valid name: ${what ?? 'invalid'}`;
  return what ?? 'is invalid';
}

/** mapFastifyError is used to give Fastify's own errors (validation, parsing, size) our codes. */
function mapFastifyError(err: FastifyError): ErrorBody | undefined {
  if (err.validation) {
    const issues: ValidationIssue[] = err.validation;
    const all = issues.map((i) => ({
      field: fieldOf(err.validationContext, i),
      message: describe(i),
    }));
    // A union (say number | null) reports one issue per branch: keep the first per field.
    const details = all.filter((d, i) => all.findIndex((o) => o.field === d.field) === i);
    const first = details[0];
    const message = first ? `${first.field || 'request'} ${first.message}` : 'request is invalid';
    return errorBody(400, ErrorCode.ValidationFailed, message, details);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody(413, ErrorCode.PayloadTooLarge, 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody(415, ErrorCode.UnsupportedMediaType, 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errorBody(
        400,
        ErrorCode.ValidationFailed,
        'body must not be empty with content-type application/json',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errorBody(400, ErrorCode.ValidationFailed, 'body is not valid JSON');
    case 'FST_ERR_BAD_URL':
      return errorBody(400, ErrorCode.ValidationFailed, 'URL is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return errorBody(414, ErrorCode.UriTooLong, 'a path segment of the URL is too long');
  }
  if (err instanceof SyntaxError && err.statusCode === 400) {
    return errorBody(400, ErrorCode.ValidationFailed, `body is not valid JSON: ${err.message}`);
  }
  return undefined;
}

/**
 * handleError is the root error handler (and Fastify's frameworkErrors handler): coded errors as
 * they are, a database that cannot serve as 503 with Retry-After, anything else masked as 500.
 */
export function handleError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (isAppError(err)) {
    if (err.statusCode === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    void reply
      .status(err.statusCode)
      .send(errorBody(err.statusCode, err.code, err.message, err.details));
    return;
  }
  const mapped = mapFastifyError(err);
  if (mapped) {
    void reply.status(mapped.statusCode).send(mapped);
    return;
  }
  const status = err.statusCode ?? 500;
  if (status < 500) {
    void reply.status(status).send(errorBody(status, ErrorCode.ValidationFailed, err.message));
    return;
  }
  if (isDatabaseUnavailable(err)) {
    // Only the code and message: a driver error may carry the failing SQL with its values.
    request.log.warn({ code: err.code, message: err.message }, 'database unavailable');
    void reply
      .status(503)
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .send(errorBody(503, ErrorCode.Unavailable, 'the database is unavailable; retry later'));
    return;
  }
  request.log.error({ err }, 'request failed');
  void reply
    .status(500)
    .send(errorBody(500, ErrorCode.Internal, 'internal error; see the server log'));
}

/** handleNotFound is used for unknown routes, in the same error shape. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .status(404)
    .send(
      errorBody(404, ErrorCode.NotFound, `no route ${request.method} ${request.url.split('?')[0]}`),
    );
}

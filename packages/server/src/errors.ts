import { ErrorCode } from '@utopia/shared';

/** FieldProblem is used to point a client at the exact input field that was rejected. */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * AppError is the one error type of the server: a request that fails for a reason the client can
 * act on carries an HTTP status and a stable code, and the root error handler renders it.
 */
export class AppError extends Error {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly details: FieldProblem[] | undefined;

  constructor(statusCode: number, code: ErrorCode, message: string, details?: FieldProblem[]) {
    super(message);
    this.name = 'AppError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

/** isAppError is used to tell our own coded errors from unexpected ones. */
export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Errors is the catalogue of the errors routes throw, so codes and statuses never drift apart. */
export const Errors = {
  validation: (message: string, details?: FieldProblem[]) =>
    new AppError(400, ErrorCode.ValidationFailed, message, details),
  unauthenticated: (message = 'Authentication required: send a bearer token') =>
    new AppError(401, ErrorCode.Unauthenticated, message),
  forbidden: (message = 'Your role does not allow this') =>
    new AppError(403, ErrorCode.Forbidden, message),
  notFound: (what: string, id: string) =>
    new AppError(404, ErrorCode.NotFound, `${what} ${id} not found`),
  noContainer: (message: string) => new AppError(404, ErrorCode.NoContainer, message),
  // 403, not 400: the request is well formed, its proof of identity is what fails.
  wrongCurrentPassword: () =>
    new AppError(403, ErrorCode.Forbidden, 'currentPassword is wrong', [
      { field: 'currentPassword', message: 'is wrong' },
    ]),
  conflict: (message: string, details?: FieldProblem[]) =>
    new AppError(409, ErrorCode.Conflict, message, details),
  upgradeRequired: () =>
    new AppError(
      426,
      ErrorCode.UpgradeRequired,
      'This route speaks WebSocket only: send Connection: Upgrade and Upgrade: websocket',
    ),
  rateLimited: (message: string) => new AppError(429, ErrorCode.RateLimited, message),
  quotaExceeded: (message: string) => new AppError(403, ErrorCode.QuotaExceeded, message),
  unavailable: (message: string) => new AppError(503, ErrorCode.Unavailable, message),
  joinTokenInvalid: () =>
    new AppError(
      401,
      ErrorCode.JoinTokenInvalid,
      'Join token is unknown, expired, revoked or used up: ask an admin for a new one',
    ),
  nodeCredentialInvalid: () =>
    new AppError(
      401,
      ErrorCode.NodeCredentialInvalid,
      'Node credential is unknown or revoked: the node was deleted or the database was reset',
    ),
} as const;

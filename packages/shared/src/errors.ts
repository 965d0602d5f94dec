import { Type, type Static } from '@sinclair/typebox';

/** ErrorCode is used to tell clients, in a stable machine-readable way, why a request failed. */
export const ErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  /** The claim exists but has no container (yet, or any more) to read logs of or exec in. */
  NoContainer: 'NO_CONTAINER',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  Conflict: 'CONFLICT',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UriTooLong: 'URI_TOO_LONG',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  /** A WebSocket route was called without `Upgrade: websocket`. */
  UpgradeRequired: 'UPGRADE_REQUIRED',
  RateLimited: 'RATE_LIMITED',
  QuotaExceeded: 'QUOTA_EXCEEDED',
  JoinTokenInvalid: 'JOIN_TOKEN_INVALID',
  NodeCredentialInvalid: 'NODE_CREDENTIAL_INVALID',
  Internal: 'INTERNAL',
  Unavailable: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** ErrorBody is the one shape of every error the server answers. */
export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED' }),
    error: Type.String({ description: 'HTTP status text' }),
    message: Type.String({ description: 'What went wrong, for a person' }),
    details: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    ),
  },
  { $id: 'ErrorBody', additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;

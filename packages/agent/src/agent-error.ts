import { AgentErrorReason, type AgentErrorBody } from '@utopia/shared';

/**
 * AgentError is used for every failure the agent API reports: an HTTP status, a stable reason and
 * whether retrying the same request could ever succeed.
 */
export class AgentError extends Error {
  readonly statusCode: number;
  readonly reason: AgentErrorReason;
  readonly permanent: boolean;

  constructor(statusCode: number, reason: AgentErrorReason, message: string, permanent: boolean) {
    super(message);
    this.name = 'AgentError';
    this.statusCode = statusCode;
    this.reason = reason;
    this.permanent = permanent;
  }

  toBody(): AgentErrorBody {
    return {
      error: this.message,
      code: this.statusCode,
      reason: this.reason,
      permanent: this.permanent,
    };
  }
}

/** isAgentError is used to narrow an unknown error to an AgentError. */
export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}

/** agentErrors is used to build the catalogue of agent errors in one place. */
export const agentErrors = {
  validation: (message: string): AgentError =>
    new AgentError(400, AgentErrorReason.ValidationFailed, message, true),
  unauthenticated: (): AgentError =>
    new AgentError(
      401,
      AgentErrorReason.Unauthenticated,
      'missing or wrong bearer token for this node',
      true,
    ),
  notFound: (what: string): AgentError =>
    new AgentError(404, AgentErrorReason.NotFound, `${what} not found`, true),
  gpuUnavailable: (message: string): AgentError =>
    new AgentError(409, AgentErrorReason.GpuUnavailable, message, true),
  imageNotFound: (image: string, detail: string): AgentError =>
    new AgentError(
      422,
      AgentErrorReason.ImageNotFound,
      `image ${image} could not be pulled: ${detail}`,
      true,
    ),
  createFailed: (message: string): AgentError =>
    new AgentError(422, AgentErrorReason.ContainerCreateFailed, message, true),
  hostPathNotAllowed: (message: string): AgentError =>
    new AgentError(422, AgentErrorReason.HostPathNotAllowed, message, true),
  volumeInUse: (message: string): AgentError =>
    new AgentError(409, AgentErrorReason.VolumeInUse, message, true),
  // Not permanent for the claim: the server places it on another node.
  nodeRetired: (): AgentError =>
    new AgentError(
      409,
      AgentErrorReason.NodeRetired,
      'this node was deleted: it takes no new containers (restart the agent to join again)',
      false,
    ),
  dockerUnavailable: (detail: string): AgentError =>
    new AgentError(503, AgentErrorReason.DockerUnavailable, detail, false),
  notRunning: (what: string): AgentError =>
    new AgentError(409, AgentErrorReason.ContainerNotRunning, `${what} is not running`, false),
  // Not permanent: the service in the container may still be starting.
  portUnreachable: (port: number, detail: string): AgentError =>
    new AgentError(
      502,
      AgentErrorReason.PortUnreachable,
      `nothing accepts connections on port ${port} in the container (${detail})`,
      false,
    ),
  upgradeRequired: (): AgentError =>
    new AgentError(
      426,
      AgentErrorReason.ValidationFailed,
      'this route speaks WebSocket only',
      true,
    ),
  internal: (message: string): AgentError =>
    new AgentError(500, AgentErrorReason.Internal, message, false),
};

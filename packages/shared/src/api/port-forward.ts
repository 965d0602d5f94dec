// Port-forward and the HTTP proxy to a claim's container (docs/api.md, "Port-forward" and
// "HTTP proxy"): query and body schemas shared by the server, the CLI and the UI.
import { Type, type Static } from '@sinclair/typebox';

/** ContainerPort is used for a TCP port inside a claim's container. */
export const ContainerPort = Type.Integer({
  minimum: 1,
  maximum: 65535,
  description: "TCP port inside the claim's container",
});

/** PortForwardQuery is used by GET /api/gpu-claims/:id/port-forward. */
export const PortForwardQuery = Type.Object(
  { port: ContainerPort },
  { additionalProperties: false },
);
export type PortForwardQuery = Static<typeof PortForwardQuery>;

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

/** CreateProxySessionRequest is used by POST /api/gpu-claims/:id/proxy-sessions. */
export const CreateProxySessionRequest = Type.Object(
  { port: ContainerPort },
  { additionalProperties: false },
);
export type CreateProxySessionRequest = Static<typeof CreateProxySessionRequest>;

/** ProxySession is used to answer it: a one-time link that opens the port in a browser. */
export const ProxySession = Type.Object(
  {
    url: Type.String({
      description:
        'Open this (once, within expiresAt) in a browser: it sets a session cookie for the claim port on the proxy origin and redirects to the port',
    }),
    path: Type.String({ description: 'Where the port is served on the proxy origin' }),
    expiresAt: Type.String({ description: 'The link works until then (one minute)' }),
  },
  { additionalProperties: false },
);
export type ProxySession = Static<typeof ProxySession>;

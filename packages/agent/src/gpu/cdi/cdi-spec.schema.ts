// The CDI spec format (tags.cncf.io/container-device-interface, specs-go/config.go), as far as a
// consumer reads it. Unknown fields are allowed: newer spec versions add some (netDevices,
// intelRdt), and CDI consumers ignore what they do not apply, as the reference library does.
import { Type, type Static } from '@sinclair/typebox';

const Text = (maxLength: number) => Type.String({ maxLength });
const Path = Text(4096);
const TextList = (maxItems: number, maxLength: number) =>
  Type.Array(Type.String({ maxLength }), { maxItems });

/** CdiDeviceNode is used for one device node a device needs in the container. */
export const CdiDeviceNode = Type.Object({
  path: Path,
  hostPath: Type.Optional(Path),
  type: Type.Optional(Text(8)),
  major: Type.Optional(Type.Integer()),
  minor: Type.Optional(Type.Integer()),
  fileMode: Type.Optional(Type.Integer({ minimum: 0 })),
  permissions: Type.Optional(Text(8)),
  uid: Type.Optional(Type.Integer({ minimum: 0 })),
  gid: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type CdiDeviceNode = Static<typeof CdiDeviceNode>;

/** CdiMount is used for one mount a device needs in the container. */
export const CdiMount = Type.Object({
  hostPath: Path,
  containerPath: Path,
  options: Type.Optional(TextList(64, 256)),
  type: Type.Optional(Text(64)),
});
export type CdiMount = Static<typeof CdiMount>;

/** CdiHook is used for one OCI hook a spec asks the runtime to run. */
export const CdiHook = Type.Object({
  hookName: Text(64),
  path: Path,
  args: Type.Optional(TextList(1024, 4096)),
  env: Type.Optional(TextList(256, 4096)),
  timeout: Type.Optional(Type.Integer()),
});
export type CdiHook = Static<typeof CdiHook>;

/** CdiContainerEdits is used for the edits of a whole spec or of one device. */
export const CdiContainerEdits = Type.Object({
  env: Type.Optional(TextList(1024, 32768)),
  deviceNodes: Type.Optional(Type.Array(CdiDeviceNode, { maxItems: 1024 })),
  hooks: Type.Optional(Type.Array(CdiHook, { maxItems: 256 })),
  mounts: Type.Optional(Type.Array(CdiMount, { maxItems: 4096 })),
  additionalGids: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 64 })),
});
export type CdiContainerEdits = Static<typeof CdiContainerEdits>;

/** CdiDevice is used for one named device of a spec. */
export const CdiDevice = Type.Object({
  name: Text(256),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  containerEdits: CdiContainerEdits,
});
export type CdiDevice = Static<typeof CdiDevice>;

/** CdiSpec is used for one CDI spec file. */
export const CdiSpec = Type.Object({
  cdiVersion: Text(32),
  kind: Text(256),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  devices: Type.Array(CdiDevice, { minItems: 1, maxItems: 4096 }),
  containerEdits: Type.Optional(CdiContainerEdits),
});
export type CdiSpec = Static<typeof CdiSpec>;

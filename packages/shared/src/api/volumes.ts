// Storage a claim mounts: named volumes (Docker volumes on the node, owned by one user, that
// outlive the claim) and host paths an admin allowed on the node (allowedHostPaths).
import { Type, type Static } from '@sinclair/typebox';
import { Id, Timestamp } from './common.js';

/** VOLUME_NAME_PATTERN is used for a volume's own name, unique per owner. */
export const VOLUME_NAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,62}$';

/** VolumeName is used to name a user's named volume (the Docker name adds the owner's id). */
export const VolumeName = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: VOLUME_NAME_PATTERN,
  description: 'Lower-case letters, digits, ".", "_" and "-", starting with a letter or digit',
});

// An absolute, normalised path: "/" then segments of safe characters, none of them "." or "..",
// no empty segment, no trailing "/". The same rule serves inside the container and on the host.
const ABSOLUTE_PATH_PATTERN = '^(/(?!\\.{1,2}(/|$))[A-Za-z0-9._@+,=~-]+)+$';

/** AbsolutePath is used for mount paths and host paths; "." and ".." segments are refused. */
export const AbsolutePath = Type.String({
  minLength: 2,
  maxLength: 1024,
  pattern: ABSOLUTE_PATH_PATTERN,
  description: 'Absolute and normalised: no "." or ".." segment, no "//", no trailing "/"',
});

/** ClaimVolume is used to mount a named volume of the claim's owner into its container. */
export const ClaimVolume = Type.Object(
  {
    name: VolumeName,
    mountPath: AbsolutePath,
    readOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ClaimVolume = Static<typeof ClaimVolume>;

/** ClaimHostPath is used to mount a host path the node's admin allowed (agent allowedHostPaths). */
export const ClaimHostPath = Type.Object(
  {
    path: AbsolutePath,
    mountPath: AbsolutePath,
    readOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ClaimHostPath = Static<typeof ClaimHostPath>;

/** MAX_CLAIM_MOUNTS is used to bound volumes and host paths of one claim (each list). */
export const MAX_CLAIM_MOUNTS = 16;

/** dockerVolumeName is used by server and agent alike: the Docker name of an owner's volume. */
export function dockerVolumeName(ownerId: string, name: string): string {
  return `utopia-${ownerId}-${name}`;
}

/** Volume is used to show one named volume: where it lives and when it was last mounted. */
export const Volume = Type.Object(
  {
    id: Id,
    name: Type.String(),
    owner: Type.String({ description: 'Username of the owner' }),
    nodeId: Type.Union([Type.String(), Type.Null()], {
      description: 'Node holding it; null once that node was deleted',
    }),
    nodeName: Type.Union([Type.String(), Type.Null()]),
    inUseBy: Type.Array(Type.String(), { description: 'Ids of live claims that mount it' }),
    createdAt: Timestamp,
    lastUsedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Volume = Static<typeof Volume>;

/** VolumeList is used to answer GET /api/volumes. */
export const VolumeList = Type.Object(
  { items: Type.Array(Volume) },
  { additionalProperties: false },
);

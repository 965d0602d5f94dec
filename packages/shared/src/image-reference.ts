import { Type } from '@sinclair/typebox';

// Docker's reference grammar (distribution/reference), simplified: [host[:port]/]path[:tag][@digest].
// Every path component starts with a letter or digit, so "." and ".." can never become a path
// segment of a Docker Engine API URL (the Engine cleans those and redirects).
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?/)?';
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';

/** IMAGE_REFERENCE_PATTERN is used by the server and the agent alike to accept an image reference. */
export const IMAGE_REFERENCE_PATTERN = `^${DOMAIN}${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`;

/** ImageReference is used for every image field on the wire (claim spec, agent create request). */
export const ImageReference = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: IMAGE_REFERENCE_PATTERN,
  description: 'Image reference, e.g. pytorch/pytorch:2.4.0',
});

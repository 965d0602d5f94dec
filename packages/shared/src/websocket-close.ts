/** MAX_CLOSE_REASON_BYTES is used as the room a WebSocket close frame has for its reason. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * toCloseReason is used to fit any text into a WebSocket close frame: cut to 123 bytes of UTF-8,
 * never inside a character (the peer must refuse invalid UTF-8, and `ws` throws on a long one).
 */
export function toCloseReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return text;
  let end = MAX_CLOSE_REASON_BYTES;
  // Continuation bytes are 10xxxxxx: step back to the start of the character cut in two.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

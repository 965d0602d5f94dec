import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { DockerDemuxer, type DockerChunk } from './docker-demux.js';
import { selectLines } from './previous-logs.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function isChunk(c: unknown): c is DockerChunk {
  return typeof c === 'object' && c !== null && 'stream' in c && 'data' in c;
}

async function collect(chunks: Buffer[], merged: boolean): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const piece of Readable.from(chunks).pipe(new DockerDemuxer({ merged })))
    out.push(piece);
  return out;
}

test('frames split anywhere, headers included, come out whole and in order', async () => {
  const all = Buffer.concat([frame(1, 'hello '), frame(2, 'oops\n'), frame(1, 'world\n')]);
  for (let cut = 1; cut < all.length; cut++) {
    const pieces = await collect([all.subarray(0, cut), all.subarray(cut)], true);
    assert.equal(Buffer.concat(pieces.filter(Buffer.isBuffer)).toString(), 'hello oops\nworld\n');
  }
  const tagged = (await collect([all], false)).filter(isChunk);
  assert.deepEqual(
    tagged.map((c) => [c.stream, c.data.toString()]),
    [
      [1, 'hello '],
      [2, 'oops\n'],
      [1, 'world\n'],
    ],
  );
});

test("a TTY's raw output passes through unchanged", async () => {
  const pieces = await collect([Buffer.from('plain text\n'), Buffer.from('more')], true);
  assert.equal(Buffer.concat(pieces.filter(Buffer.isBuffer)).toString(), 'plain text\nmore');
});

test('a saved log is cut by since and tail, with or without timestamps', () => {
  const text = '2026-12-01T09:00:00.5Z a\n2026-12-01T09:00:01.5Z b\n2026-12-01T09:00:02.5Z c\n';
  const at1 = Date.parse('2026-12-01T09:00:01Z') / 1000;
  assert.equal(selectLines(text, { tail: undefined, since: at1, timestamps: false }), 'b\nc\n');
  assert.equal(
    selectLines(text, { tail: 1, since: undefined, timestamps: true }),
    '2026-12-01T09:00:02.5Z c\n',
  );
  assert.equal(selectLines(text, { tail: 0, since: undefined, timestamps: false }), '');
});

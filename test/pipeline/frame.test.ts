import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { checkFrame, payloadCrc } from '../../src/pipeline/frame';

describe('frame checksum', () => {
  it('the table loop for short payloads gives zlib crc32, at any offset and length', () => {
    const buf = randomBytes(600);
    for (let len = 0; len <= 300; len++) {
      const start = len % 7;
      assert.equal(payloadCrc(buf, start, start + len), crc32(buf.subarray(start, start + len)), `length ${len}`);
    }
  });

  it('finds a flipped bit in a short (compact sample) payload', () => {
    const frame = Buffer.alloc(8 + 22);
    randomBytes(22).copy(frame, 8);
    frame.writeUInt32LE(22, 0);
    frame.writeUInt32LE(payloadCrc(frame, 8, 30), 4);
    assert.equal(checkFrame(frame, 0, frame.length).kind, 'ok');
    frame[20]! ^= 0x10;
    assert.deepEqual(checkFrame(frame, 0, frame.length), { kind: 'corrupt', reason: 'checksum mismatch' });
  });
});

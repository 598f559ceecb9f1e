import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { FRAME_HEADER_BYTES, readFrame } from './record-format.ts';
import { TributaryError } from '../errors.ts';

const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

type FrameVisitor = (buffer: Buffer, bodyStart: number, bodyEnd: number, position: number) => void;

/**
 * An append-only file of frames. Writes are synchronous and positional: a write reaches the operating
 * system before the call returns (a crashed process loses nothing written), and nothing interleaves
 * with it. Data is not fsynced: a machine crash may lose the last writes, which recovery truncates.
 */
export class FramesFile {
  readonly path: string;
  readonly readOnly: boolean;
  private fd: number | undefined;
  /** Bytes of whole frames: where the next frame goes. */
  size: number;

  private constructor(path: string, fd: number, size: number, readOnly: boolean) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.readOnly = readOnly;
  }

  /** Opens (creating when missing, unless read-only) a file of frames. */
  static open(path: string, readOnly: boolean): FramesFile {
    // Not O_APPEND: writes are positional, at the end of the last intact frame.
    const fd = openSync(path, readOnly ? constants.O_RDONLY : constants.O_RDWR | constants.O_CREAT, 0o644);
    return new FramesFile(path, fd, fstatSync(fd).size, readOnly);
  }

  /**
   * Visits every intact frame from the start; stops at the first frame that is cut short or fails its
   * checksum. Unless read-only, truncates the file there (a write torn by a crash). Returns how many
   * bytes were cut.
   */
  scan(visit: FrameVisitor): number {
    const fileSize = this.size;
    const validEnd = this.scanRange(0, fileSize, visit);
    const cut = fileSize - validEnd;
    this.size = validEnd;
    if (cut > 0 && !this.readOnly) ftruncateSync(this.handle(), validEnd);
    return cut;
  }

  /**
   * Read-only: visits the intact frames another process appended since the last scan (a frame still
   * being written is left for the next call). Returns how many it visited.
   */
  scanAppended(visit: FrameVisitor): number {
    if (!this.readOnly)
      throw new TributaryError('TRIB_INTERNAL', `${this.path} is open for writing: it sees its own appends`);
    const fileSize = fstatSync(this.handle()).size;
    if (fileSize <= this.size) return 0;
    let visited = 0;
    this.size = this.scanRange(this.size, fileSize, (...frame) => {
      visited++;
      visit(...frame);
    });
    return visited;
  }

  /** Visits intact frames from `start` up to `fileSize`; returns where the last intact one ends. */
  private scanRange(start: number, fileSize: number, visit: FrameVisitor): number {
    let base = start;
    let buffer = Buffer.alloc(0);
    let at = 0;
    let validEnd: number;
    for (;;) {
      const available = buffer.length - at;
      const fileLeft = fileSize - (base + buffer.length);
      const need =
        available >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + buffer.readUInt32LE(at) : FRAME_HEADER_BYTES;
      if (available < need) {
        if (need - available > fileLeft) {
          validEnd = base + at;
          break;
        }
        const more = Math.min(fileLeft, Math.max(SCAN_CHUNK_BYTES, need - available));
        const next = Buffer.allocUnsafe(available + more);
        buffer.copy(next, 0, at);
        this.readFully(next, available, more, base + buffer.length);
        base += at;
        buffer = next;
        at = 0;
        continue;
      }
      const frame = readFrame(buffer, at);
      if (!frame) {
        validEnd = base + at;
        break;
      }
      visit(buffer, frame.bodyStart, frame.bodyEnd, base + at);
      at = frame.bodyEnd;
    }
    return validEnd;
  }

  /** Appends whole frames; returns the position they start at. */
  append(bytes: Buffer): number {
    if (this.readOnly) throw new TributaryError('TRIB_INTERNAL', `${this.path} is open read-only`);
    const position = this.size;
    let written = 0;
    while (written < bytes.length)
      written += writeSync(this.handle(), bytes, written, bytes.length - written, position + written);
    this.size += bytes.length;
    return position;
  }

  /** Reads `length` bytes at `position` into a new buffer. */
  read(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    this.readFully(buffer, 0, length, position);
    return buffer;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private readFully(buffer: Buffer, offset: number, length: number, position: number): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.handle(), buffer, offset + done, length - done, position + done);
      if (n === 0)
        throw new TributaryError(
          'TRIB_EMBEDDED_LOG',
          `${this.path}: unexpected end of file at ${position + done}`,
        );
      done += n;
    }
  }

  private handle(): number {
    if (this.fd === undefined) throw new TributaryError('TRIB_INTERNAL', `${this.path} is closed`);
    return this.fd;
  }
}

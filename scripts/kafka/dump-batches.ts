// Prints the record batches of Kafka log segment files as the broker stored them: offsets, producer id,
// epoch and base sequence, whether a batch is transactional, and transaction markers (COMMIT/ABORT),
// optionally with each record's key and value. What Kafka's DumpLogSegments shows, for the jars the
// scripts install (its tool is not among them), to see how a duplicate got into a partition: two
// batches of one producer and epoch with different sequences were two sends; a marker between two
// copies means two transactions.
//
//   bash scripts/with-node.sh node scripts/kafka/dump-batches.ts [--records] [--from N] [--to N] <file.log>...
//
// A partition's segments are in <node data dir>/<topic>-<partition>/<base offset>.log.
import { readFileSync } from 'node:fs';

interface Options {
  records: boolean;
  from: bigint;
  to: bigint;
  files: string[];
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { records: false, from: 0n, to: BigInt(Number.MAX_SAFE_INTEGER), files: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--records') options.records = true;
    else if (arg === '--from') options.from = BigInt(argv[++i]!);
    else if (arg === '--to') options.to = BigInt(argv[++i]!);
    else options.files.push(arg);
  }
  if (options.files.length === 0) {
    console.error('usage: dump-batches.ts [--records] [--from N] [--to N] <segment.log>...');
    process.exit(2);
  }
  return options;
}

/** Reads Kafka's zigzag varints (records' fields) from a buffer. */
class Cursor {
  private readonly buffer: Buffer;
  at: number;

  constructor(buffer: Buffer, at: number) {
    this.buffer = buffer;
    this.at = at;
  }

  varint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buffer[this.at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  bytes(length: number): Buffer | null {
    if (length < 0) return null;
    const slice = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return slice;
  }
}

function printable(bytes: Buffer | null): string {
  if (bytes === null) return 'null';
  const text = bytes.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${bytes.toString('hex')}`;
}

function dump(file: string, options: Options): void {
  const log = readFileSync(file);
  console.log(`# ${file}`);
  for (let at = 0; at + 61 <= log.length;) {
    const baseOffset = log.readBigInt64BE(at);
    const length = log.readInt32BE(at + 8);
    const end = at + 12 + length;
    if (length <= 0 || end > log.length) break;
    const magic = log.readInt8(at + 16);
    if (magic !== 2) {
      console.log(`${baseOffset}: message format ${magic}, not read`);
      at = end;
      continue;
    }
    const attributes = log.readInt16BE(at + 21);
    const lastOffset = baseOffset + BigInt(log.readInt32BE(at + 23));
    const producerId = log.readBigInt64BE(at + 43);
    const epoch = log.readInt16BE(at + 51);
    const sequence = log.readInt32BE(at + 53);
    const count = log.readInt32BE(at + 57);
    const transactional = (attributes & 0x10) !== 0;
    const control = (attributes & 0x20) !== 0;
    const compressed = (attributes & 0x07) !== 0;
    if (lastOffset < options.from || baseOffset > options.to) {
      at = end;
      continue;
    }
    const records: string[] = [];
    let marker = '';
    if (!compressed && (control || options.records)) {
      const cursor = new Cursor(log, at + 61);
      for (let i = 0; i < count; i++) {
        cursor.varint(); // length
        cursor.at += 1; // attributes
        cursor.varint(); // timestamp delta
        const offsetDelta = cursor.varint();
        const key = cursor.bytes(cursor.varint());
        const value = cursor.bytes(cursor.varint());
        const headers = cursor.varint();
        for (let h = 0; h < headers; h++) {
          cursor.bytes(cursor.varint());
          cursor.bytes(cursor.varint());
        }
        if (control && key && key.length >= 4) marker = key.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT';
        else
          records.push(
            `    ${baseOffset + BigInt(offsetDelta)} key=${printable(key)} value=${printable(value)}`,
          );
      }
    }
    const range = lastOffset === baseOffset ? `${baseOffset}` : `${baseOffset}-${lastOffset}`;
    const kind = control ? `marker ${marker}` : `${count} records${transactional ? ', transactional' : ''}`;
    console.log(
      `${range}: ${kind}; producer ${producerId} epoch ${epoch} sequence ${sequence}${compressed ? ' (compressed)' : ''}`,
    );
    for (const line of records) console.log(line);
    at = end;
  }
}

const options = parseArgs(process.argv.slice(2));
for (const file of options.files) dump(file, options);

// Reproducible .tar.gz: a minimal ustar writer (regular files only) and gzip without a timestamp. The
// same files give the same bytes on every run and machine: entries sorted by name, one fixed mtime,
// uid/gid 0 with no owner names, modes 0755/0644, and a gzip header that names no OS or time.
import { gzipSync } from 'node:zlib';

export interface TarFile {
  name: string;
  data: Buffer | string;
  executable?: boolean;
}

const BLOCK = 512;
/** GNU tar and bsdtar write archives in records of 20 blocks; readers accept either. */
const RECORD = 20 * BLOCK;

function field(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar: "${value}" does not fit a ${length}-byte header field`);
  bytes.copy(header, offset);
}

function octal(header: Buffer, offset: number, length: number, value: number): void {
  // length - 1 octal digits, then NUL.
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`tar: ${value} does not fit a ${length}-byte header field`);
  field(header, offset, length, `${digits.padStart(length - 1, '0')}\0`);
}

function header(name: string, size: number, mode: number, mtime: number): Buffer {
  if (!/^[\x20-\x7e]+$/.test(name) || name.length > 100) throw new Error(`tar: unsupported file name "${name}"`);
  const h = Buffer.alloc(BLOCK);
  field(h, 0, 100, name);
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  field(h, 148, 8, ' '.repeat(8)); // checksum placeholder
  field(h, 156, 1, '0'); // regular file
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  const sum = h.reduce((a, b) => a + b, 0);
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** The uncompressed tar of `files`, sorted by name. */
export function tar(files: TarFile[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  const names = new Set<string>();
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (names.has(file.name)) throw new Error(`tar: ${file.name} twice`);
    names.add(file.name);
    const data = typeof file.data === 'string' ? Buffer.from(file.data, 'utf8') : file.data;
    parts.push(header(file.name, data.length, file.executable ? 0o755 : 0o644, mtime), data);
    if (data.length % BLOCK) parts.push(Buffer.alloc(BLOCK - (data.length % BLOCK)));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  const size = parts.reduce((a, p) => a + p.length, 0);
  if (size % RECORD) parts.push(Buffer.alloc(RECORD - (size % RECORD)));
  return Buffer.concat(parts);
}

/** gzip with no name, no mtime (zlib writes 0) and the OS byte fixed to "Unix" whatever builds it. */
export function gzip(data: Buffer, level = 9): Buffer {
  const out = gzipSync(data, { level });
  out[9] = 3;
  return out;
}

export function tarGz(files: TarFile[], mtime: number, level = 9): Buffer {
  return gzip(tar(files, mtime), level);
}

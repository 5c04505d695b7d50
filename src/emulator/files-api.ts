import { createHash, randomBytes } from 'node:crypto';

/** A file resource as the Files API describes it (../shared/reference/gemini-wire.md §8). */
export interface FileResource {
  readonly name: string;
  readonly displayName?: string;
  readonly mimeType: string;
  readonly sizeBytes: string;
  readonly createTime: string;
  readonly updateTime: string;
  readonly expirationTime: string;
  readonly sha256Hash: string;
  readonly uri: string;
  readonly state: 'ACTIVE';
  readonly source: 'UPLOADED' | 'GENERATED';
}

interface Upload {
  readonly displayName?: string;
  readonly mimeType: string;
  readonly declaredBytes: number;
  readonly chunks: Buffer[];
  received: number;
}

/** Files live 48 hours, then the service deletes them. */
const FILE_LIFETIME_MS = 48 * 3600_000;

export type ChunkResult =
  | { readonly ok: true; readonly status: 'active' }
  | { readonly ok: true; readonly status: 'final'; readonly file: FileResource }
  | { readonly ok: false; readonly message: string };

/**
 * The Files API's resumable upload and its files (held in memory): start, chunks at increasing
 * offsets, finalize; then get, list, delete and download. Batch jobs read their JSONL input here
 * and write their results file here.
 */
export class FileStore {
  readonly #uploads = new Map<string, Upload>();
  readonly #files = new Map<string, { resource: FileResource; bytes: Buffer }>();

  constructor(private readonly timeScale: () => number) {}

  /** The start command: the upload's id (the caller puts it in x-goog-upload-url). */
  start(declaredBytes: number, mimeType: string, displayName: string | undefined): string {
    const id = randomBytes(12).toString('hex');
    this.#uploads.set(id, { declaredBytes, mimeType, chunks: [], received: 0, ...(displayName ? { displayName } : {}) });
    return id;
  }

  chunk(uploadId: string, command: string, offset: number, bytes: Buffer): ChunkResult {
    const upload = this.#uploads.get(uploadId);
    if (!upload) return { ok: false, message: `No upload with id ${uploadId}.` };
    if (offset !== upload.received) return { ok: false, message: `Upload offset ${offset} does not match the ${upload.received} bytes received.` };
    upload.chunks.push(bytes);
    upload.received += bytes.length;
    if (!/finalize/.test(command)) return { ok: true, status: 'active' };
    this.#uploads.delete(uploadId);
    return { ok: true, status: 'final', file: this.put(Buffer.concat(upload.chunks), upload.mimeType, upload.displayName, 'UPLOADED') };
  }

  put(bytes: Buffer, mimeType: string, displayName: string | undefined, source: FileResource['source']): FileResource {
    const id = randomBytes(9).toString('hex').slice(0, 12);
    const now = Date.now();
    const at = new Date(now).toISOString();
    const resource: FileResource = {
      name: `files/${id}`,
      ...(displayName ? { displayName } : {}),
      mimeType,
      sizeBytes: String(bytes.length),
      createTime: at,
      updateTime: at,
      expirationTime: new Date(now + FILE_LIFETIME_MS * this.timeScale()).toISOString(),
      sha256Hash: createHash('sha256').update(bytes).digest('base64'),
      uri: `https://generativelanguage.googleapis.com/v1beta/files/${id}`,
      state: 'ACTIVE',
      source,
    };
    this.#files.set(resource.name, { resource, bytes });
    return resource;
  }

  get(name: string): FileResource | undefined {
    return this.#live(name)?.resource;
  }

  bytes(name: string): Buffer | undefined {
    return this.#live(name)?.bytes;
  }

  delete(name: string): boolean {
    return this.#files.delete(name);
  }

  list(pageSize: number, pageToken: string | undefined): { files: FileResource[]; nextPageToken?: string } {
    const all = [...this.#files.keys()].filter((name) => this.#live(name)).map((name) => this.#files.get(name)!.resource);
    const start = pageToken ? Number(pageToken) : 0;
    const page = all.slice(start, start + pageSize);
    return { files: page, ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}) };
  }

  #live(name: string): { resource: FileResource; bytes: Buffer } | undefined {
    const file = this.#files.get(name);
    if (file && Date.parse(file.resource.expirationTime) <= Date.now()) {
      this.#files.delete(name);
      return undefined;
    }
    return file;
  }
}

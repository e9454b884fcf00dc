/**
 * Request body reading and decoding (JSON or YAML, size-limited) and response writing. Every
 * error response is produced here from a StatusError, so clients always get a `Status`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseDocument } from 'yaml';
import { StatusError, badRequest, internalError, isStatusError, tooLarge } from '../apimachinery/errors.js';
import { decodeKubernetesProtobuf, isProtobufContentType, protoMessageFor } from '../apimachinery/protobuf/decode.js';

/** Upstream's limit for request bodies (3 MiB). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (b: Buffer): void => {
      size += b.length;
      if (size > limit) {
        failed = true;
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(b);
    };
    req.on('data', onData);
    req.once('end', () => { if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)); });
    req.once('error', (e) => { if (!failed) { failed = true; reject(e); } });
    req.once('close', () => { if (!failed && !req.complete) { failed = true; reject(new Error('request aborted')); } });
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes a JSON or YAML body into a value; malformed input is a 400 with the parser's message. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  if (isProtobufContentType(contentType)) {
    if (body.length === 0) throw badRequest('the body of the request was empty');
    return decodeKubernetesProtobuf(body, protoMessageFor);
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the body of the request was empty');
  const mt = mediaType(contentType);
  const yamlLike = mt.includes('yaml');
  // Upstream answers 415 for a body in a media type it has no serializer for (none given: JSON).
  if (mt !== '' && mt !== 'application/json' && !yamlLike && mt !== 'application/vnd.kubernetes.protobuf') {
    throw new StatusError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  }
  if (!yamlLike) {
    try {
      return JSON.parse(text);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // Upstream tolerates YAML in JSON requests only via apply-patch+yaml; JSON must be JSON.
      throw badRequest(`error decoding request body: invalid character in JSON: ${msg}`);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: false, strict: false });
  if (doc.errors.length > 0) {
    throw badRequest(`error converting YAML to JSON: ${doc.errors[0].message.split('\n')[0]}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

export function writeJson(res: ServerResponse, code: number, body: unknown, headers?: Record<string, string>): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // A known length lets Node send headers and body in one TLS write instead of chunked framing.
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function writeRaw(res: ServerResponse, code: number, contentType: string, body: Buffer | string): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export function toStatusError(err: unknown): StatusError {
  if (isStatusError(err)) return err;
  return internalError(err);
}

export function writeError(res: ServerResponse, err: unknown): void {
  const se = toStatusError(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  writeJson(res, se.code, se.toStatus());
}

/** A `Success` Status, as returned by some deletes. */
export function successStatus(details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}) };
}

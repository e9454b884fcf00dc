/**
 * A CRI v1 gRPC client over a unix socket: loads the embedded `cri.proto` once, then calls
 * `runtime.v1.RuntimeService` and `runtime.v1.ImageService` methods with typed requests and
 * responses (see `wire.ts`). gRPC failures become `CriError`s (a `RuntimeError` carrying the gRPC
 * status), so the kubelet sees `NotFound` and friends as with any runtime.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { RuntimeError } from '../runtime.js';
import type { RuntimeErrorCode } from '../runtime.js';
import { CRI_PROTO } from './cri-proto.js';
import type { ImageCalls, RuntimeCalls, WireContainerEventResponse } from './wire.js';

export const RUNTIME_SERVICE = 'runtime.v1.RuntimeService';
export const IMAGE_SERVICE = 'runtime.v1.ImageService';

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false, longs: Number, enums: String, bytes: Buffer, defaults: true, arrays: true, objects: true, oneofs: true,
};

let definition: protoLoader.PackageDefinition | undefined;

/** The package definition of `cri.proto` (parsed once per process). */
export function criPackageDefinition(): protoLoader.PackageDefinition {
  if (!definition) {
    const parsed = protobuf.parse(CRI_PROTO, { keepCase: false });
    definition = protoLoader.fromJSON(parsed.root.toJSON(), LOADER_OPTIONS);
  }
  return definition;
}

function methodDefinition(service: string, method: string): protoLoader.MethodDefinition<object, object> {
  const svc = criPackageDefinition()[service];
  if (!svc || 'format' in svc) throw new Error(`cri.proto has no service ${service}`);
  const def = (svc as protoLoader.ServiceDefinition)[method];
  if (!def) throw new Error(`cri.proto has no method ${service}/${method}`);
  return def;
}

/** A failed CRI call: the kubelet's `RuntimeError` plus the gRPC status code and method. */
export class CriError extends RuntimeError {
  readonly grpcCode: number;
  readonly method: string;
  constructor(code: RuntimeErrorCode, grpcCode: number, method: string, message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'CriError';
    this.grpcCode = grpcCode;
    this.method = method;
  }
}

export function isUnimplemented(e: unknown): boolean {
  return e instanceof CriError && e.grpcCode === grpc.status.UNIMPLEMENTED;
}

function runtimeCode(status: number): RuntimeErrorCode {
  switch (status) {
    case grpc.status.NOT_FOUND: return 'NotFound';
    case grpc.status.FAILED_PRECONDITION: return 'FailedPrecondition';
    case grpc.status.INVALID_ARGUMENT: return 'InvalidArgument';
    case grpc.status.UNAVAILABLE: return 'Unavailable';
    case grpc.status.DEADLINE_EXCEEDED: return 'DeadlineExceeded';
    default: return 'Internal';
  }
}

function toCriError(method: string, err: grpc.ServiceError): CriError {
  const details = err.details || err.message;
  return new CriError(runtimeCode(err.code), err.code, method, details, err);
}

export interface CallOptions {
  /** Deadline in ms from now; default from the client options (2 min). */
  timeoutMs?: number;
}

export interface CriClient {
  readonly endpoint: string;
  runtime<M extends keyof RuntimeCalls>(method: M, req: RuntimeCalls[M][0], opts?: CallOptions): Promise<RuntimeCalls[M][1]>;
  image<M extends keyof ImageCalls>(method: M, req: ImageCalls[M][0], opts?: CallOptions): Promise<ImageCalls[M][1]>;
  /**
   * Opens the GetContainerEvents stream. `onEnd` gets the error that ended it (a `CriError`;
   * `isUnimplemented` for runtimes without the call, such as containerd 1.6) or undefined.
   * Returns the cancel function.
   */
  containerEvents(onEvent: (e: WireContainerEventResponse) => void, onEnd: (err: CriError | undefined) => void): () => void;
  /** Resolves when the socket accepts a connection, within `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

export interface CriClientOptions {
  /** `unix:///run/containerd/containerd.sock`, or a plain socket path. */
  endpoint: string;
  defaultTimeoutMs?: number;
}

/** `/run/x.sock` or `unix:///run/x.sock` → the gRPC target `unix:///run/x.sock`. */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint;
  if (endpoint.startsWith('unix:')) return `unix://${endpoint.slice('unix:'.length)}`;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}

export function createCriClient(opts: CriClientOptions): CriClient {
  const target = grpcTarget(opts.endpoint);
  const defaultTimeout = opts.defaultTimeoutMs ?? 120_000;
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 16 * 1024 * 1024,
  });

  function unary<Req, Res>(service: string, method: string, req: Req, opts2?: CallOptions): Promise<Res> {
    const def = methodDefinition(service, method);
    const deadline = new Date(Date.now() + (opts2?.timeoutMs ?? defaultTimeout));
    return new Promise<Res>((resolve, reject) => {
      client.makeUnaryRequest<Req, Res>(
        def.path,
        (value: Req) => def.requestSerialize(value as object),
        (bytes: Buffer) => def.responseDeserialize(bytes) as Res,
        req, new grpc.Metadata(), { deadline },
        (err: grpc.ServiceError | null, res?: Res) => {
          if (err) reject(toCriError(method, err));
          else resolve(res as Res);
        },
      );
    });
  }

  return {
    endpoint: target,
    runtime(method, req, o) {
      return unary(RUNTIME_SERVICE, method, req, o);
    },
    image(method, req, o) {
      return unary(IMAGE_SERVICE, method, req, o);
    },
    containerEvents(onEvent, onEnd) {
      const def = methodDefinition(RUNTIME_SERVICE, 'GetContainerEvents');
      const call = client.makeServerStreamRequest<object, WireContainerEventResponse>(
        def.path,
        (value: object) => def.requestSerialize(value),
        (bytes: Buffer) => def.responseDeserialize(bytes) as WireContainerEventResponse,
        {}, new grpc.Metadata(),
      );
      let ended = false;
      const end = (err: CriError | undefined): void => {
        if (ended) return;
        ended = true;
        onEnd(err);
      };
      call.on('data', (e: WireContainerEventResponse) => onEvent(e));
      call.on('error', (err: grpc.ServiceError) => end(err.code === grpc.status.CANCELLED ? undefined : toCriError('GetContainerEvents', err)));
      call.on('end', () => end(undefined));
      return () => {
        ended = true;
        call.cancel();
      };
    },
    waitForReady(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        client.waitForReady(new Date(Date.now() + timeoutMs), (err?: Error) => (err ? reject(new RuntimeError('Unavailable', `CRI endpoint ${target} is not ready: ${err.message}`)) : resolve()));
      });
    },
    close() {
      client.close();
    },
  };
}

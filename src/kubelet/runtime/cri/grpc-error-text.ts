/**
 * The text Go's gRPC client gives a failed call (`status.Error(...).Error()`), which upstream's
 * kubelet puts into events and waiting messages verbatim:
 * `rpc error: code = NotFound desc = <the runtime's message>`.
 */
import { CriError } from './cri-client.js';

/** Go's `codes.Code.String()` by numeric gRPC status code. */
const GO_CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss',
  'Unauthenticated',
] as const;

export function goGrpcCodeName(code: number): string {
  return GO_CODE_NAMES[code] ?? `Code(${code})`;
}

/** A CRI failure as Go prints it; any other error's own message. */
export function grpcErrorText(err: unknown): string {
  if (err instanceof CriError) return `rpc error: code = ${goGrpcCodeName(err.grpcCode)} desc = ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

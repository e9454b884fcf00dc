/** The TokenRequest API: POST serviceaccounts/<name>/token (what `kubectl create token` calls). */
import { StatusError, badRequest, invalid, methodNotSupported, notFound } from '../../apimachinery/errors.js';
import { isPlainObject } from '../../apimachinery/object.js';
import { decodeBody, readBody, writeJson } from '../codec.js';
import type { HandlerContext } from './resource-handler.js';

const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
const DEFAULT_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

export async function handleTokenRequest(ctx: HandlerContext): Promise<void> {
  const { info } = ctx;
  if (info.verb !== 'create') throw methodNotSupported({ group: '', resource: 'serviceaccounts/token' }, info.verb);
  if (!ctx.tokens) throw new StatusError(503, 'ServiceUnavailable', 'service account token issuing is not configured');
  const body = decodeBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  if (!isPlainObject(body)) throw badRequest('the body of the request must be a TokenRequest');
  if (body.kind !== undefined && body.kind !== 'TokenRequest') {
    throw badRequest(`${String(body.kind)} in version "${String(body.apiVersion ?? '')}" cannot be handled as a TokenRequest`);
  }
  const spec: TokenRequestSpec = isPlainObject(body.spec) ? body.spec as TokenRequestSpec : {};
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS || expirationSeconds > MAX_EXPIRATION_SECONDS) {
    throw invalid('TokenRequest', 'authentication.k8s.io', info.name, [{
      type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: expirationSeconds,
      detail: expirationSeconds < MIN_EXPIRATION_SECONDS ? 'may not specify a duration less than 10 minutes' : 'may not specify a duration larger than 2^32 seconds',
    }]);
  }
  const sa = await ctx.registry.get(info.namespace, info.name);
  let boundObject: { kind: string; name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref?.kind && ref.name) {
    const kindToResource: Record<string, string> = { Pod: 'pods', Secret: 'secrets', Node: 'nodes' };
    const resource = kindToResource[ref.kind];
    if (!resource) throw badRequest(`cannot bind token to object of type ${ref.kind}`);
    const reg = ctx.registryFor('', resource);
    const target = reg ? await reg.get(resource === 'nodes' ? '' : info.namespace, ref.name).catch(() => undefined) : undefined;
    if (!target) throw notFound({ group: '', resource }, ref.name);
    if (ref.uid && ref.uid !== target.metadata.uid) {
      throw new StatusError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    boundObject = { kind: ref.kind, name: ref.name, uid: target.metadata.uid ?? '' };
  }
  const audiences = spec.audiences && spec.audiences.length > 0 ? spec.audiences : [DEFAULT_AUDIENCE];
  const issued = ctx.tokens.issue({
    namespace: info.namespace, name: info.name, uid: sa.metadata.uid ?? '', audiences, expirationSeconds, boundObject,
  });
  writeJson(ctx.res, 201, {
    kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: info.name, namespace: info.namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp },
  });
}

/** Resources that store nothing: self-subject reviews, access reviews, bindings, componentstatuses. */
import { StatusError, methodNotSupported } from '../../apimachinery/errors.js';
import { isPlainObject } from '../../apimachinery/object.js';
import type { KubeObject } from '../../apimachinery/object.js';
import { decodeBody, readBody, writeJson } from '../codec.js';
import type { HandlerContext } from './resource-handler.js';
import { bindPod } from './resource-handler.js';
import { nowRfc3339 } from '../rest/resource-registry.js';

type VirtualContext = Omit<HandlerContext, 'registry'>;

async function body(ctx: VirtualContext): Promise<KubeObject> {
  const b = decodeBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  if (!isPlainObject(b)) throw new StatusError(400, 'BadRequest', 'the body of the request must be an object');
  const o = b as KubeObject;
  if (!isPlainObject(o.metadata)) o.metadata = {};
  return o;
}

export async function handleVirtual(ctx: VirtualContext): Promise<void> {
  const r = ctx.resource;
  const key = `${r.group}/${r.resource}`;
  if (key === '/componentstatuses') {
    if (ctx.info.verb !== 'list' && ctx.info.verb !== 'get') throw methodNotSupported({ group: '', resource: r.resource }, ctx.info.verb);
    const healthy = (name: string): KubeObject => ({
      kind: 'ComponentStatus', apiVersion: 'v1', metadata: { name, creationTimestamp: null },
      conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }],
    });
    const items = ['controller-manager', 'scheduler', 'etcd-0'].map(healthy);
    if (ctx.info.verb === 'get') {
      const found = items.find((i) => i.metadata.name === ctx.info.name);
      if (!found) throw new StatusError(404, 'NotFound', `componentstatuses "${ctx.info.name}" not found`);
      return void writeJson(ctx.res, 200, found);
    }
    return void writeJson(ctx.res, 200, { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items });
  }
  if (ctx.info.verb !== 'create') throw methodNotSupported({ group: r.group, resource: r.resource }, ctx.info.verb);
  const obj = await body(ctx);
  const userInfo = { username: ctx.user.username, uid: ctx.user.uid, groups: ctx.user.groups, extra: ctx.user.extra };
  switch (key) {
    case 'authentication.k8s.io/selfsubjectreviews':
      return void writeJson(ctx.res, 201, {
        kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: nowRfc3339() }, status: { userInfo },
      });
    case 'authentication.k8s.io/tokenreviews':
      return void writeJson(ctx.res, 201, { ...obj, status: { authenticated: false, error: 'token reviews are not supported yet' } });
    case 'authorization.k8s.io/selfsubjectaccessreviews':
    case 'authorization.k8s.io/subjectaccessreviews':
    case 'authorization.k8s.io/localsubjectaccessreviews':
      // Until RBAC lands every authenticated user may do everything.
      return void writeJson(ctx.res, 201, { ...obj, status: { allowed: true, reason: 'every authenticated user is allowed until RBAC is enabled' } });
    case 'authorization.k8s.io/selfsubjectrulesreviews':
      return void writeJson(ctx.res, 201, { ...obj, status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false } });
    case '/bindings': {
      const registry = ctx.registryFor('', 'pods');
      if (!registry) throw new StatusError(404, 'NotFound', 'pods not served');
      await bindPod({ ...ctx, registry }, obj.metadata.name ?? '', obj);
      return;
    }
    default:
      throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
}

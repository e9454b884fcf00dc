/**
 * Parses a request path into the parts the API server routes on, after upstream's
 * RequestInfoFactory: `/api/v1/namespaces/ns/pods/name/status` → group "", version v1,
 * namespace ns, resource pods, name, subresource status, and a Kubernetes verb.
 */

export type Verb =
  | 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection'
  | 'proxy' | 'connect';

export interface ResourceRequestInfo {
  isResourceRequest: true;
  /** `api` or `apis`. */
  prefix: 'api' | 'apis';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** Path segments after the subresource (e.g. proxy paths). */
  rest: string[];
  verb: Verb;
}

export interface NonResourceRequestInfo {
  isResourceRequest: false;
  path: string;
  verb: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const namespaceSubresources = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const httpVerb = method.toUpperCase();
  const lower = httpVerb.toLowerCase();
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length === 0 || (parts[0] !== 'api' && parts[0] !== 'apis')) {
    return { isResourceRequest: false, path: pathname, verb: lower };
  }
  const prefix = parts[0] as 'api' | 'apis';
  let rest = parts.slice(1);
  let group = '';
  if (prefix === 'apis') {
    if (rest.length < 2) return { isResourceRequest: false, path: pathname, verb: lower };
    group = rest[0];
    rest = rest.slice(1);
  } else if (rest.length < 1) {
    return { isResourceRequest: false, path: pathname, verb: lower };
  }
  const version = rest[0];
  rest = rest.slice(1);
  if (rest.length === 0) return { isResourceRequest: false, path: pathname, verb: lower };

  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }

  let namespace = '';
  if (rest[0] === 'namespaces') {
    if (rest.length > 1) {
      namespace = rest[1];
      // /namespaces/{name} and /namespaces/{name}/{status|finalize} address the namespace itself.
      if (rest.length === 2 || (rest.length === 3 && namespaceSubresources.has(rest[2]))) {
        rest = ['namespaces', rest[1], ...rest.slice(2)];
        namespace = '';
      } else {
        rest = rest.slice(2);
      }
    }
  }
  const [resource = '', name = '', subresource = '', ...tail] = rest;

  let verb: Verb;
  switch (httpVerb) {
    case 'POST': verb = 'create'; break;
    case 'GET': case 'HEAD': verb = 'get'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = 'patch'; break;
    case 'DELETE': verb = 'delete'; break;
    default: verb = 'get';
  }
  if (subresource && ['proxy', 'exec', 'attach', 'portforward', 'log'].includes(subresource)) {
    if (subresource === 'proxy') verb = 'proxy';
    else if (subresource !== 'log') verb = 'connect';
  }
  if (watchPrefix) {
    verb = 'watch';
    if (!name && namespace === '' && resource === 'namespaces') { /* watch all namespaces */ }
  } else if (verb === 'get' && !name) {
    const w = query.get('watch');
    verb = w === 'true' || w === '1' ? 'watch' : 'list';
  } else if (verb === 'delete' && !name) {
    verb = 'deletecollection';
  }
  // A watch on a single object by path: /watch/namespaces/ns/pods/name
  return {
    isResourceRequest: true, prefix, group, version, namespace, resource, name, subresource, rest: tail, verb,
  };
}

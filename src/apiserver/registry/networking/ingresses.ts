/** Ingresses (networking.k8s.io/v1, upstream ValidateIngress). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import {
  child, index, invalidEach, invalidField, isDNS1035Label, isDNS1123Subdomain, isValidIP, isValidPortName,
  isValidPortNum, notSupported, required,
} from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import type { Obj } from '../util.js';
import { asObj, num, objArray, str } from '../util.js';
import { statusSubresource } from '../status.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateBackend(b: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const svc = asObj(b.service);
  const res = asObj(b.resource);
  if (svc && res) return [invalidField(field, '', 'cannot set both resource and service backends')];
  if (res) {
    if (!str(res.kind)) errs.push(required(child(field, 'resource', 'kind')));
    if (!str(res.name)) errs.push(required(child(field, 'resource', 'name')));
    return errs;
  }
  if (!svc) return [invalidField(field, '', 'resource or service backend is required')];
  const name = str(svc.name);
  if (!name) errs.push(required(child(field, 'service', 'name')));
  else errs.push(...invalidEach(child(field, 'service', 'name'), name, isDNS1035Label(name)));
  const port = asObj(svc.port) ?? {};
  const pname = str(port.name);
  const pnum = num(port.number) ?? 0;
  if (pname && pnum) errs.push(invalidField(field, '', 'cannot set both port name & port number'));
  else if (pname) errs.push(...invalidEach(child(field, 'service', 'port', 'name'), pname, isValidPortName(pname)));
  else if (pnum) errs.push(...invalidEach(child(field, 'service', 'port', 'number'), pnum, isValidPortNum(pnum)));
  else errs.push(required(field, 'port name or number is required'));
  return errs;
}

function validateIngress(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec) ?? {};
  const rules = objArray(spec.rules);
  const def = asObj(spec.defaultBackend);
  if (rules.length === 0 && !def) errs.push(invalidField('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (def) errs.push(...validateBackend(def, 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const rp = index('spec.rules', i);
    const host = str(r.host);
    if (host) {
      if (isValidIP(host).length === 0) errs.push(invalidField(child(rp, 'host'), host, 'must be a DNS name, not an IP address'));
      const check = host.startsWith('*.') ? host.slice(2) : host;
      if (host.includes('*') && !host.startsWith('*.')) errs.push(invalidField(child(rp, 'host'), host, "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
      else errs.push(...invalidEach(child(rp, 'host'), host, isDNS1123Subdomain(check)));
    }
    const http = asObj(r.http);
    if (!http) return;
    const paths = objArray(http.paths);
    if (paths.length === 0) errs.push(required(child(rp, 'http', 'paths')));
    paths.forEach((p, j) => {
      const pp = index(child(rp, 'http', 'paths'), j);
      const pt = p.pathType;
      if (pt === undefined || pt === null || pt === '') errs.push(required(child(pp, 'pathType'), 'pathType must be specified'));
      else if (!PATH_TYPES.includes(str(pt))) errs.push(notSupported(child(pp, 'pathType'), pt, PATH_TYPES));
      const path = str(p.path);
      if ((pt === 'Exact' || pt === 'Prefix') && !path.startsWith('/')) errs.push(invalidField(child(pp, 'path'), path, 'must be an absolute path'));
      if (pt === 'Exact' || pt === 'Prefix') {
        for (const bad of ['//', '/./', '/../', '%2f', '%2F']) {
          if (path.includes(bad)) errs.push(invalidField(child(pp, 'path'), path, `must not contain '${bad}'`));
        }
      }
      errs.push(...validateBackend(asObj(p.backend) ?? {}, child(pp, 'backend')));
    });
  });
  (objArray(spec.tls)).forEach((t, i) => {
    (Array.isArray(t.hosts) ? t.hosts : []).forEach((h: unknown, j: number) => {
      const hs = str(h);
      const check = hs.startsWith('*.') ? hs.slice(2) : hs;
      errs.push(...invalidEach(index(child(index('spec.tls', i), 'hosts'), j), hs, isDNS1123Subdomain(check)));
    });
  });
  const cls = spec.ingressClassName;
  if (cls !== undefined && cls !== null) errs.push(...invalidEach('spec.ingressClassName', cls, isDNS1123Subdomain(str(cls))));
  return errs;
}

export const ingressStrategy: Strategy = {
  ...statusSubresource({ loadBalancer: {} }),
  validate: validateIngress,
  validateUpdate: validateIngress,
};

/**
 * Services (upstream pkg/registry/core/service/strategy.go + validation). ClusterIP and NodePort
 * allocation belongs to the API server's allocators; this module only keeps allocated values
 * across updates that omit them (upstream patchAllocatedValues) and validates.
 */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import {
  child, index, required, invalidField, invalidEach, notSupported, duplicate, forbidden,
  isDNS1123Label, isDNS1035Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, isValidIP,
  isValidCIDR, ipFamilyOf, validateLabels, isQualifiedName,
} from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import type { Obj } from '../util.js';
import { asObj, ensureObj, objArray, setDefault, str, num, strMap, keepStatus } from '../util.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function needsClusterIP(type: string): boolean {
  return type !== 'ExternalName';
}

function needsNodePort(type: string): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

export function defaultService(obj: KubeObject): void {
  const spec = ensureObj(obj, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = ensureObj(spec, 'sessionAffinityConfig');
    const clientIP = ensureObj(cfg, 'clientIP');
    setDefault(clientIP, 'timeoutSeconds', 10800);
  }
  setDefault(spec, 'type', 'ClusterIP');
  const type = str(spec.type);
  for (const p of objArray(spec.ports)) {
    setDefault(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '' || p.targetPort === null) p.targetPort = p.port;
  }
  if (needsNodePort(type)) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (needsClusterIP(type)) {
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    const ip = str(spec.clusterIP);
    if (spec.ipFamilies === undefined || (Array.isArray(spec.ipFamilies) && spec.ipFamilies.length === 0)) {
      spec.ipFamilies = [ipFamilyOf(ip) ?? 'IPv4'];
    }
    if (ip && spec.clusterIPs === undefined) spec.clusterIPs = [ip];
  }
}

/** Upstream patchAllocatedValues: an update that omits allocated values keeps the old ones. */
function patchAllocatedValues(spec: Obj, oldSpec: Obj): void {
  const type = str(spec.type);
  const oldType = str(oldSpec.type);
  if (needsClusterIP(oldType) && needsClusterIP(type)) {
    if (!str(spec.clusterIP) && oldSpec.clusterIP !== undefined) spec.clusterIP = oldSpec.clusterIP;
    if ((spec.clusterIPs === undefined || (Array.isArray(spec.clusterIPs) && spec.clusterIPs.length === 0)) && oldSpec.clusterIPs !== undefined) {
      spec.clusterIPs = oldSpec.clusterIPs;
    }
  }
  if (needsNodePort(oldType) && needsNodePort(type)) {
    const oldPorts = objArray(oldSpec.ports);
    for (const p of objArray(spec.ports)) {
      if (p.nodePort !== undefined && p.nodePort !== 0) continue;
      const match = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (match?.nodePort) p.nodePort = match.nodePort;
    }
  }
  if (type === 'LoadBalancer' && oldType === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local'
    && oldSpec.externalTrafficPolicy === 'Local' && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}

/** Upstream normalizeClusterIPs (update): keep clusterIP and clusterIPs in step for clients that set only one. */
function normalizeClusterIPs(spec: Obj, oldSpec: Obj): void {
  const oldIPs = Array.isArray(oldSpec.clusterIPs) ? oldSpec.clusterIPs.map(str) : [];
  const ip = str(spec.clusterIP);
  const oldIP = str(oldSpec.clusterIP);
  if (oldIPs.length > 0 && !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0) && oldIP === ip) spec.clusterIPs = [...oldIPs];
  if (oldIP === ip) return;
  if (oldIP && !ip) {
    delete spec.clusterIPs;
    return;
  }
  const newIPs = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(str) : [];
  const same = newIPs.length === oldIPs.length && newIPs.every((v, i) => v === oldIPs[i]);
  if (same) spec.clusterIPs = newIPs.length === 0 ? [ip] : [ip, ...newIPs.slice(1)];
}

/** Upstream dropTypeDependentFields: clear fields that the new type no longer uses (if unchanged). */
function dropTypeDependentFields(spec: Obj, oldSpec: Obj): void {
  const type = str(spec.type);
  const oldType = str(oldSpec.type);
  if (type === oldType) return;
  if (!needsClusterIP(type) && needsClusterIP(oldType)) {
    if (JSON.stringify(spec.clusterIPs) === JSON.stringify(oldSpec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (JSON.stringify(spec.ipFamilies) === JSON.stringify(oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === oldSpec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
    if (spec.internalTrafficPolicy === oldSpec.internalTrafficPolicy) delete spec.internalTrafficPolicy;
  }
  if (!needsNodePort(type) && needsNodePort(oldType)) {
    const oldPorts = objArray(oldSpec.ports);
    for (const p of objArray(spec.ports)) {
      const o = oldPorts.find((x) => x.port === p.port && x.protocol === p.protocol);
      if (o && o.nodePort === p.nodePort) delete p.nodePort;
    }
    if (spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  }
  if (type !== 'LoadBalancer' && oldType === 'LoadBalancer') {
    if (spec.healthCheckNodePort === oldSpec.healthCheckNodePort) delete spec.healthCheckNodePort;
    if (spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
  }
}

function validatePortNumOrName(v: unknown, field: string): FieldError[] {
  if (typeof v === 'number') return invalidEach(field, v, isValidPortNum(v));
  if (typeof v === 'string') return invalidEach(field, v, isValidPortName(v));
  return [];
}

export function validateService(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  // Service names are DNS-1035 labels; the generic check already validated them as DNS-1123 labels.
  if (name && isDNS1123Label(name).length === 0) errs.push(...invalidEach('metadata.name', name, isDNS1035Label(name)));
  const spec = asObj(obj.spec) ?? {};
  const type = str(spec.type);
  const clusterIP = str(spec.clusterIP);
  const headless = clusterIP === 'None';
  const ports = objArray(spec.ports);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  if (type === 'ExternalName') {
    if (clusterIP && !headless) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const ext = str(spec.externalName);
    if (!ext) errs.push(required('spec.externalName'));
    else errs.push(...invalidEach('spec.externalName', ext, isDNS1123Subdomain(ext.replace(/\.$/, ''))));
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('spec.ports', i);
    const pname = str(p.name);
    if (ports.length > 1 && !pname) errs.push(required(child(pp, 'name')));
    else if (pname) {
      errs.push(...invalidEach(child(pp, 'name'), pname, isDNS1123Label(pname)));
      if (names.has(pname)) errs.push(duplicate(child(pp, 'name'), pname));
      names.add(pname);
    }
    const port = num(p.port) ?? 0;
    errs.push(...invalidEach(child(pp, 'port'), port, isValidPortNum(port)));
    const proto = str(p.protocol);
    if (!proto) errs.push(required(child(pp, 'protocol')));
    else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(child(pp, 'protocol'), proto, PROTOCOLS));
    errs.push(...validatePortNumOrName(p.targetPort, child(pp, 'targetPort')));
    if (p.appProtocol !== undefined) errs.push(...invalidEach(child(pp, 'appProtocol'), p.appProtocol, isQualifiedName(str(p.appProtocol))));
    const nodePort = num(p.nodePort) ?? 0;
    if (nodePort !== 0) {
      if (type === 'ClusterIP') errs.push(forbidden(child(pp, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else errs.push(...invalidEach(child(pp, 'nodePort'), nodePort, isValidPortNum(nodePort)));
    }
    const k = `${proto}/${port}`;
    if (seen.has(k)) errs.push(duplicate(pp, { port, protocol: proto }));
    seen.add(k);
  });
  if (!type) errs.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  const affinity = str(spec.sessionAffinity);
  if (!affinity) errs.push(required('spec.sessionAffinity'));
  else if (!['ClientIP', 'None'].includes(affinity)) errs.push(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  else if (affinity === 'ClientIP') {
    const t = num(asObj(asObj(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds);
    if (t !== undefined && (t <= 0 || t > 86400)) {
      errs.push(invalidField('spec.sessionAffinityConfig.clientIP.timeoutSeconds', t, 'must be greater than 0 and less than 86400'));
    }
  } else if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(invalidField('spec.sessionAffinityConfig', spec.sessionAffinityConfig, "must not be set when session affinity is None"));
  }
  if (clusterIP && !headless) errs.push(...invalidEach('spec.clusterIPs[0]', clusterIP, isValidIP(clusterIP)));
  (Array.isArray(spec.clusterIPs) ? spec.clusterIPs : []).forEach((ip: unknown, i: number) => {
    const s = str(ip);
    if (i === 0 && s !== clusterIP && clusterIP) errs.push(invalidField('spec.clusterIPs', spec.clusterIPs, 'first value must match `clusterIP`'));
    if (i > 0 && s !== 'None') errs.push(...invalidEach(index('spec.clusterIPs', i), s, isValidIP(s)));
  });
  errs.push(...validateLabels(strMap(spec.selector), 'spec.selector'));
  const etp = spec.externalTrafficPolicy;
  if (etp !== undefined && etp !== '') {
    if (!needsNodePort(type)) errs.push(invalidField('spec.externalTrafficPolicy', etp, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    else if (etp !== 'Cluster' && etp !== 'Local') errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  } else if (needsNodePort(type)) {
    errs.push(required('spec.externalTrafficPolicy'));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local') {
    errs.push(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  }
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(str(policy))) {
    errs.push(notSupported('spec.ipFamilyPolicy', policy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  (Array.isArray(spec.ipFamilies) ? spec.ipFamilies : []).forEach((f: unknown, i: number) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
  });
  (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).forEach((ip: unknown, i: number) => {
    errs.push(...invalidEach(index('spec.externalIPs', i), ip, isValidIP(str(ip))));
  });
  (Array.isArray(spec.loadBalancerSourceRanges) ? spec.loadBalancerSourceRanges : []).forEach((r: unknown, i: number) => {
    errs.push(...invalidEach(index('spec.loadBalancerSourceRanges', i), r, isValidCIDR(str(r).trim())));
  });
  if (spec.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', 'may only be used when `type` is \'LoadBalancer\''));
  }
  return errs;
}

/** Upstream validateUpgradeDowngradeClusterIPs (primary clusterIP may not change). */
function validateClusterIPsUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  if (str(spec.type) === 'ExternalName' || str(oldSpec.type) === 'ExternalName') return [];
  const oldIPs = Array.isArray(oldSpec.clusterIPs) ? oldSpec.clusterIPs.map(str) : str(oldSpec.clusterIP) ? [str(oldSpec.clusterIP)] : [];
  const newIPs = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.map(str) : str(spec.clusterIP) ? [str(spec.clusterIP)] : [];
  if (oldIPs.length === 0) return [];
  if (newIPs.length === 0) return [invalidField('spec.clusterIPs[0]', spec.clusterIPs ?? [], 'primary clusterIP can not be unset')];
  // Upstream prints the []string with Go's %#v; the value is pre-rendered into the detail.
  const goIPs = `[]string{${newIPs.map((v) => JSON.stringify(v)).join(', ')}}`;
  if (newIPs[0] !== oldIPs[0]) return [{ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', detail: `${goIPs}: may not change once set` }];
  if (oldIPs.length > 1 && newIPs.length > 1 && newIPs[1] !== oldIPs[1]) {
    return [{ type: 'FieldValueInvalid', field: 'spec.clusterIPs[1]', detail: `${goIPs}: may not change once set` }];
  }
  return [];
}

export const serviceStrategy: Strategy = {
  defaults: defaultService,
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  prepareForUpdate(obj, old) {
    keepStatus(obj, old);
    const spec = ensureObj(obj, 'spec');
    const oldSpec = asObj(old.spec) ?? {};
    patchAllocatedValues(spec, oldSpec);
    normalizeClusterIPs(spec, oldSpec);
    dropTypeDependentFields(spec, oldSpec);
  },
  prepareForStatusUpdate(obj, old) {
    obj.spec = old.spec;
  },
  validate: validateService,
  validateUpdate(obj, old) {
    return [...validateService(obj), ...validateClusterIPsUpdate(asObj(obj.spec) ?? {}, asObj(old.spec) ?? {})];
  },
  nameValidation: 'label',
  generationFields: [],
};

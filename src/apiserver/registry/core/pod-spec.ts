/**
 * PodSpec defaulting and validation shared by pods and every workload template
 * (upstream pkg/apis/core/v1/defaults.go and pkg/apis/core/validation).
 */
import type { FieldError } from '../../../apimachinery/errors.js';
import { tryParseQuantity } from '../../../apimachinery/quantity.js';
import {
  child, index, key, required, invalidField, invalidEach, notSupported, duplicate, notFoundField, forbidden,
  isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isValidPortName, isValidPortNum, isQualifiedName,
  validateLabels, validateAnnotations, validateNonnegativeField, isConfigMapKey,
} from '../../../apimachinery/validation/index.js';
import type { Obj } from '../util.js';
import { asObj, ensureObj, objArray, setDefault, str, num, strMap, canonicalizeResourceList } from '../util.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['FallbackToLogsOnError', 'File'];
const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];
const DEFAULT_MODE = 0o644;

// ---------------------------------------------------------------- defaults

/** Upstream's image-name parsing just enough to find the tag (`latest` when neither tag nor digest). */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const hasDigest = at >= 0;
  const name = hasDigest ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return name.slice(colon + 1);
  return hasDigest ? '' : 'latest';
}

function defaultProbe(p: unknown): void {
  const probe = asObj(p);
  if (!probe) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

function defaultHandler(h: Obj): void {
  const http = asObj(h.httpGet);
  if (http) {
    setDefault(http, 'path', '/');
    setDefault(http, 'scheme', 'HTTP');
  }
  const grpc = asObj(h.grpc);
  if (grpc) setDefault(grpc, 'service', '');
}

function defaultFieldRef(ref: unknown): void {
  const r = asObj(ref);
  if (r) setDefault(r, 'apiVersion', 'v1');
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(str(c.image)) === 'latest' ? 'Always' : 'IfNotPresent';
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const resources = ensureObj(c, 'resources');
  canonicalizeResourceList(resources.limits);
  canonicalizeResourceList(resources.requests);
  // Requests default to limits for every resource that has a limit but no request.
  const limits = asObj(resources.limits);
  if (limits && Object.keys(limits).length) {
    const requests = ensureObj(resources, 'requests');
    for (const [name, q] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = q;
  }
  for (const p of objArray(c.ports)) {
    setDefault(p, 'protocol', 'TCP');
    if (hostNetwork && p.hostPort === undefined && p.containerPort !== undefined) p.hostPort = p.containerPort;
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[probe]);
  const lifecycle = asObj(c.lifecycle);
  if (lifecycle) {
    for (const h of ['postStart', 'preStop']) {
      const handler = asObj(lifecycle[h]);
      if (handler) defaultHandler(handler);
    }
  }
  for (const e of objArray(c.env)) defaultFieldRef(asObj(e.valueFrom)?.fieldRef);
}

function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined)) v.emptyDir = {};
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = asObj(v[s]);
    if (src) setDefault(src, 'defaultMode', DEFAULT_MODE);
  }
  const hostPath = asObj(v.hostPath);
  if (hostPath) setDefault(hostPath, 'type', '');
  for (const item of objArray(asObj(v.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
  for (const src of objArray(asObj(v.projected)?.sources)) {
    for (const item of objArray(asObj(src.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
    const sat = asObj(src.serviceAccountToken);
    if (sat) setDefault(sat, 'expirationSeconds', 3600);
  }
  const iscsi = asObj(v.iscsi);
  if (iscsi) setDefault(iscsi, 'iscsiInterface', 'default');
  const rbd = asObj(v.rbd);
  if (rbd) {
    setDefault(rbd, 'pool', 'rbd');
    setDefault(rbd, 'user', 'admin');
    setDefault(rbd, 'keyring', '/etc/ceph/keyring');
  }
}

/** Upstream SetDefaults_PodSpec + SetDefaults_Pod + container/volume defaults. */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'enableServiceLinks', true);
  const hostNetwork = spec.hostNetwork === true;
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of objArray(spec[list])) defaultContainer(c, hostNetwork);
  }
  for (const v of objArray(spec.volumes)) defaultVolume(v);
  // priority and preemptionPolicy are not defaults: the Priority admission plugin resolves them
  // from priorityClassName (templates keep neither, as upstream).
}

/** Defaults a PodTemplateSpec (`{metadata, spec}`) in place. */
export function defaultPodTemplate(template: unknown): void {
  const t = asObj(template);
  if (!t) return;
  defaultPodSpec(ensureObj(t, 'spec'));
}

// ---------------------------------------------------------------- QoS

function qosResources(list: Obj[], field: 'requests' | 'limits'): Map<string, bigint> {
  const sum = new Map<string, bigint>();
  for (const c of list) {
    const res = asObj(asObj(c.resources)?.[field]);
    for (const name of ['cpu', 'memory']) {
      const q = res?.[name] === undefined ? undefined : tryParseQuantity(res[name] as string | number);
      if (q && q.sign() > 0) sum.set(name, (sum.get(name) ?? 0n) + q.scaledValue(-9));
    }
  }
  return sum;
}

/** Upstream GetPodQOS: Guaranteed, Burstable or BestEffort. */
export function podQOSClass(spec: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...objArray(spec.initContainers), ...objArray(spec.containers)];
  const requests = qosResources(all, 'requests');
  const limits = qosResources(all, 'limits');
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  // Every container must set limits for both cpu and memory to be Guaranteed.
  let guaranteed = all.every((c) => {
    const l = asObj(asObj(c.resources)?.limits);
    return ['cpu', 'memory'].every((n) => {
      const q = l?.[n] === undefined ? undefined : tryParseQuantity(l[n] as string | number);
      return q !== undefined && q.sign() > 0;
    });
  });
  if (guaranteed) {
    for (const [name, req] of requests) if (limits.get(name) !== req) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

// ---------------------------------------------------------------- validation

function validatePortNumOrName(v: unknown, field: string): FieldError[] {
  if (typeof v === 'number') return invalidEach(field, v, isValidPortNum(v));
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return invalidEach(field, v, isValidPortNum(Number(v)));
    return invalidEach(field, v, isValidPortName(v));
  }
  return [];
}

function validateHandler(h: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const kinds = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'].filter((k) => h[k] !== undefined);
  if (kinds.length === 0) errs.push(required(field, 'must specify a handler type'));
  else if (kinds.length > 1) errs.push(forbidden(child(field, kinds[1]!), 'may not specify more than 1 handler type'));
  const http = asObj(h.httpGet);
  if (http) {
    errs.push(...validatePortNumOrName(http.port, child(field, 'httpGet', 'port')));
    if (http.port === undefined) errs.push(required(child(field, 'httpGet', 'port')));
    if (http.scheme !== undefined && !['HTTP', 'HTTPS'].includes(str(http.scheme))) {
      errs.push(notSupported(child(field, 'httpGet', 'scheme'), http.scheme, ['HTTP', 'HTTPS']));
    }
  }
  const tcp = asObj(h.tcpSocket);
  if (tcp) errs.push(...validatePortNumOrName(tcp.port, child(field, 'tcpSocket', 'port')));
  const exec = asObj(h.exec);
  if (exec && !(Array.isArray(exec.command) && exec.command.length)) errs.push(required(child(field, 'exec', 'command')));
  return errs;
}

function validateProbe(p: unknown, field: string, isStartupOrLiveness: boolean): FieldError[] {
  const probe = asObj(p);
  if (!probe) return [];
  const errs = validateHandler(probe, field);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegativeField(num(probe[f]), child(field, f)));
  }
  if (isStartupOrLiveness && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errs.push(invalidField(child(field, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateResources(res: unknown, field: string): FieldError[] {
  const r = asObj(res);
  if (!r) return [];
  const errs: FieldError[] = [];
  const parsed: Record<'limits' | 'requests', Map<string, ReturnType<typeof tryParseQuantity>>> = { limits: new Map(), requests: new Map() };
  for (const which of ['limits', 'requests'] as const) {
    for (const [name, v] of Object.entries(asObj(r[which]) ?? {})) {
      const p = key(child(field, which), name);
      errs.push(...invalidEach(p, name, isQualifiedName(name)));
      const q = typeof v === 'string' || typeof v === 'number' ? tryParseQuantity(v) : undefined;
      if (!q) {
        errs.push(invalidField(p, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
        continue;
      }
      if (q.sign() < 0) errs.push(invalidField(p, q.toString(), 'must be greater than or equal to 0'));
      parsed[which].set(name, q);
    }
  }
  for (const [name, req] of parsed.requests) {
    const lim = parsed.limits.get(name);
    if (req && lim && req.cmp(lim) > 0) {
      errs.push(invalidField(key(child(field, 'requests'), name), req.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
    }
  }
  return errs;
}

function validateEnv(env: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  objArray(env).forEach((e, i) => {
    const p = index(field, i);
    const name = str(e.name);
    if (!name) errs.push(required(child(p, 'name')));
    else errs.push(...invalidEach(child(p, 'name'), name, isEnvVarName(name)));
    const from = asObj(e.valueFrom);
    if (from) {
      const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => from[k] !== undefined);
      if (e.value !== undefined && e.value !== '') {
        errs.push(invalidField(child(p, 'valueFrom'), '', 'may not be specified when `value` is not empty'));
      }
      if (sources.length === 0) errs.push(invalidField(child(p, 'valueFrom'), '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) errs.push(invalidField(child(p, 'valueFrom'), '', 'may not have more than one field specified at a time'));
      for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
        const r = asObj(from[ref]);
        if (r) {
          if (!str(r.key)) errs.push(required(child(p, 'valueFrom', ref, 'key')));
          else errs.push(...invalidEach(child(p, 'valueFrom', ref, 'key'), r.key, isConfigMapKey(str(r.key))));
        }
      }
      const fr = asObj(from.fieldRef);
      if (fr && !str(fr.fieldPath)) errs.push(required(child(p, 'valueFrom', 'fieldRef', 'fieldPath')));
    }
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: Set<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  objArray(mounts).forEach((m, i) => {
    const p = index(field, i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (!name) errs.push(required(child(p, 'name')));
    if (!volumes.has(name)) errs.push(notFoundField(child(p, 'name'), name));
    if (!mountPath) errs.push(required(child(p, 'mountPath')));
    if (seen.has(mountPath)) errs.push(invalidField(child(p, 'mountPath'), mountPath, 'must be unique'));
    seen.add(mountPath);
    const subPath = str(m.subPath);
    if (subPath) {
      if (subPath.startsWith('/')) errs.push(invalidField(child(p, 'subPath'), subPath, 'must be a relative path'));
      if (subPath.split('/').includes('..')) errs.push(invalidField(child(p, 'subPath'), subPath, "must not contain '..'"));
    }
  });
  return errs;
}

function validateContainerPorts(ports: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objArray(ports).forEach((port, i) => {
    const p = index(field, i);
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...invalidEach(child(p, 'name'), name, msgs));
      else if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    const cp = num(port.containerPort) ?? 0;
    if (cp === 0) errs.push(required(child(p, 'containerPort')));
    else errs.push(...invalidEach(child(p, 'containerPort'), cp, isValidPortNum(cp)));
    const hp = num(port.hostPort) ?? 0;
    if (hp !== 0) errs.push(...invalidEach(child(p, 'hostPort'), hp, isValidPortNum(hp)));
    const proto = str(port.protocol);
    if (!proto) errs.push(required(child(p, 'protocol')));
    else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(child(p, 'protocol'), proto, PROTOCOLS));
  });
  return errs;
}

type ContainerKind = 'containers' | 'initContainers' | 'ephemeralContainers';

/** Container fields an ephemeral container may not set (upstream checks an allow-list of fields, in struct order). */
const EPHEMERAL_FORBIDDEN_FIELDS = [
  'ports', 'resources', 'resizePolicy', 'restartPolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle',
];
const EPHEMERAL_FORBIDDEN = 'cannot be set for an Ephemeral Container';

/** Go's "differs from the zero value": absent, null and `{}` count as unset; `[]` does not. */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  const o = asObj(v);
  return !o || Object.keys(o).length > 0;
}

function validateEphemeralOnlyFields(c: Obj, p: string): FieldError[] {
  const errs = EPHEMERAL_FORBIDDEN_FIELDS.filter((f) => isSet(c[f])).map((f) => forbidden(child(p, f), EPHEMERAL_FORBIDDEN));
  // Sub-paths are bind mounts that outlive the container: not for ephemeral containers.
  objArray(c.volumeMounts).forEach((m, i) => {
    for (const f of ['subPath', 'subPathExpr']) {
      if (str(m[f])) errs.push(forbidden(child(index(child(p, 'volumeMounts'), i), f), EPHEMERAL_FORBIDDEN));
    }
  });
  return errs;
}

function validateContainer(c: Obj, p: string, kind: ContainerKind, volumes: Set<string>, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (!name) errs.push(required(child(p, 'name')));
  else {
    errs.push(...invalidEach(child(p, 'name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    names.add(name);
  }
  if (!str(c.image)) errs.push(required(child(p, 'image')));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(required(child(p, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull)) errs.push(notSupported(child(p, 'imagePullPolicy'), pull, PULL_POLICIES));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(required(child(p, 'terminationMessagePolicy')));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) {
    errs.push(notSupported(child(p, 'terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  }
  if (kind !== 'ephemeralContainers') errs.push(...validateContainerPorts(c.ports, child(p, 'ports')));
  errs.push(...validateEnv(c.env, child(p, 'env')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, child(p, 'volumeMounts')));
  errs.push(...validateResources(c.resources, child(p, 'resources')));
  if (kind === 'ephemeralContainers') return [...errs, ...validateEphemeralOnlyFields(c, p)];
  const isSidecar = kind === 'initContainers' && c.restartPolicy === 'Always';
  if (c.restartPolicy !== undefined) {
    if (kind !== 'initContainers') errs.push(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always') errs.push(notSupported(child(p, 'restartPolicy'), c.restartPolicy, ['Always']));
  }
  if (kind === 'containers' || isSidecar) {
    errs.push(...validateProbe(c.livenessProbe, child(p, 'livenessProbe'), true));
    errs.push(...validateProbe(c.readinessProbe, child(p, 'readinessProbe'), false));
    errs.push(...validateProbe(c.startupProbe, child(p, 'startupProbe'), true));
  } else {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      if (c[probe] !== undefined) errs.push(forbidden(child(p, probe), `may not be set for init containers without restartPolicy=Always`));
    }
  }
  return errs;
}

function validateVolumes(volumes: unknown, field: string): { names: Set<string>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objArray(volumes).forEach((v, i) => {
    const p = index(field, i);
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) errs.push(forbidden(child(p, extra), 'may not specify more than 1 volume type'));
    const cm = asObj(v.configMap);
    if (cm && !str(cm.name)) errs.push(required(child(p, 'configMap', 'name')));
    const secret = asObj(v.secret);
    if (secret && !str(secret.secretName)) errs.push(required(child(p, 'secret', 'secretName')));
    const pvc = asObj(v.persistentVolumeClaim);
    if (pvc && !str(pvc.claimName)) errs.push(required(child(p, 'persistentVolumeClaim', 'claimName')));
    const hostPath = asObj(v.hostPath);
    if (hostPath && !str(hostPath.path)) errs.push(required(child(p, 'hostPath', 'path')));
    const name = str(v.name);
    if (!name) errs.push(required(child(p, 'name')));
    else errs.push(...invalidEach(child(p, 'name'), name, isDNS1123Label(name)));
    if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    names.add(name);
  });
  return { names, errs };
}

function validateTolerations(tolerations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  objArray(tolerations).forEach((t, i) => {
    const p = index(field, i);
    const k = str(t.key);
    if (k) errs.push(...invalidEach(child(p, 'key'), k, isQualifiedName(k)));
    const op = t.operator === undefined ? 'Equal' : str(t.operator);
    if (!k && op !== 'Exists') errs.push(invalidField(child(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(invalidField(child(p, 'effect'), t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
    if (op === 'Exists' && t.value !== undefined && t.value !== '') {
      errs.push(invalidField(child(p, 'operator'), t.value, 'value must be empty when `operator` is \'Exists\''));
    } else if (op !== 'Equal' && op !== 'Exists') {
      errs.push(notSupported(child(p, 'operator'), op, ['Equal', 'Exists']));
    }
    if (t.effect !== undefined && t.effect !== '' && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(str(t.effect))) {
      errs.push(notSupported(child(p, 'effect'), t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return errs;
}

export interface PodSpecValidationOptions {
  /** Restart policies this context allows (jobs: OnFailure/Never; workloads: Always). */
  allowedRestartPolicies?: readonly string[];
}

/** Upstream ValidatePodSpec (main checks, exact field paths). */
export function validatePodSpec(spec: Obj, field: string, opts: PodSpecValidationOptions = {}): FieldError[] {
  const errs: FieldError[] = [];
  const { names: volumes, errs: volErrs } = validateVolumes(spec.volumes, child(field, 'volumes'));
  errs.push(...volErrs);
  const containers = objArray(spec.containers);
  if (containers.length === 0) errs.push(required(child(field, 'containers')));
  const names = new Set<string>();
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    objArray(spec[kind]).forEach((c, i) => errs.push(...validateContainer(c, index(child(field, kind), i), kind, volumes, names)));
  }
  // An ephemeral container's target is a regular or init container of the pod.
  const targets = new Set([...objArray(spec.initContainers), ...containers].map((c) => str(c.name)));
  objArray(spec.ephemeralContainers).forEach((c, i) => {
    const target = str(c.targetContainerName);
    if (target && !targets.has(target)) errs.push(notFoundField(child(index(child(field, 'ephemeralContainers'), i), 'targetContainerName'), target));
  });
  const rp = str(spec.restartPolicy);
  if (!rp) errs.push(required(child(field, 'restartPolicy')));
  else if (!(RESTART_POLICIES as readonly string[]).includes(rp)) errs.push(notSupported(child(field, 'restartPolicy'), rp, RESTART_POLICIES));
  else if (opts.allowedRestartPolicies && !opts.allowedRestartPolicies.includes(rp)) {
    errs.push(notSupported(child(field, 'restartPolicy'), rp, opts.allowedRestartPolicies));
  }
  const dns = str(spec.dnsPolicy);
  if (!dns) errs.push(required(child(field, 'dnsPolicy')));
  else if (!DNS_POLICIES.includes(dns)) errs.push(notSupported(child(field, 'dnsPolicy'), dns, DNS_POLICIES));
  if (dns === 'None' && !asObj(spec.dnsConfig)?.nameservers) {
    errs.push(required(child(field, 'dnsConfig'), `must provide \`dnsConfig\` when \`dnsPolicy\` is None`));
  }
  errs.push(...validateLabels(strMap(spec.nodeSelector), child(field, 'nodeSelector')));
  const sa = str(spec.serviceAccountName);
  if (sa) errs.push(...invalidEach(child(field, 'serviceAccountName'), sa, isDNS1123Subdomain(sa)));
  const nodeName = str(spec.nodeName);
  if (nodeName) errs.push(...invalidEach(child(field, 'nodeName'), nodeName, isDNS1123Subdomain(nodeName)));
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && (typeof ads !== 'number' || ads < 1 || ads > 2147483647)) {
    errs.push(invalidField(child(field, 'activeDeadlineSeconds'), ads, 'must be between 1 and 2147483647, inclusive'));
  }
  for (const f of ['hostname', 'subdomain']) {
    const v = str(spec[f]);
    if (v) errs.push(...invalidEach(child(field, f), v, isDNS1123Label(v)));
  }
  errs.push(...validateTolerations(spec.tolerations, child(field, 'tolerations')));
  const pc = str(spec.priorityClassName);
  if (pc) errs.push(...invalidEach(child(field, 'priorityClassName'), pc, isDNS1123Subdomain(pc)));
  if (spec.preemptionPolicy !== undefined && !['PreemptLowerPriority', 'Never'].includes(str(spec.preemptionPolicy))) {
    errs.push(notSupported(child(field, 'preemptionPolicy'), spec.preemptionPolicy, ['Never', 'PreemptLowerPriority']));
  }
  return errs;
}

/** Validates a PodTemplateSpec at `field` (e.g. `spec.template`). */
export function validatePodTemplateSpec(template: unknown, field: string, opts: PodSpecValidationOptions = {}): FieldError[] {
  const t = asObj(template);
  if (!t) return [required(field)];
  const meta = asObj(t.metadata) ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateLabels(strMap(meta.labels), child(field, 'metadata', 'labels')));
  errs.push(...validateAnnotations(strMap(meta.annotations), child(field, 'metadata', 'annotations')));
  errs.push(...validatePodSpec(asObj(t.spec) ?? {}, child(field, 'spec'), opts));
  if (asObj(t.spec)?.ephemeralContainers !== undefined) {
    errs.push(forbidden(child(field, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

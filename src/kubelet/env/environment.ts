/**
 * A container's environment as the kubelet builds it (upstream makeEnvironmentVariables):
 * `envFrom` sources first (prefix applied, keys that are not valid variable names skipped with an
 * `InvalidEnvironmentVariableNames` event), then `env` in order — `value` with `$(VAR)` expanded
 * against the variables declared before it and the service variables, `valueFrom` from a
 * ConfigMap or Secret key, a pod field or a container resource — then the service link
 * variables no declared variable shadows. A required ConfigMap, Secret or key that is missing
 * fails with the kubelet's message; the caller reports it as `CreateContainerConfigError`.
 */
import type { ConfigMap, Container, Pod, Secret, Service } from '../../apimachinery/generated/types.js';
import { expand, mappingFor } from './expansion.js';
import type { PodRuntimeFacts } from './field-path.js';
import { podFieldValue, podResourceValue } from './field-path.js';
import { MASTER_SERVICE_NAMESPACE, serviceEnvVars, servicesForPod } from './service-env.js';

/** Where the kubelet reads the objects a pod refers to; `undefined` means "not found". */
export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  services(namespace: string): Promise<Service[]>;
}

export interface EnvVarValue {
  name: string;
  value: string;
}

/** A container cannot be configured (`CreateContainerConfigError`). */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

export function configMapNotFound(name: string): ContainerConfigError {
  return new ContainerConfigError(`configmap "${name}" not found`);
}

export function secretNotFound(name: string): ContainerConfigError {
  return new ContainerConfigError(`secret "${name}" not found`);
}

export interface EnvironmentInput {
  pod: Pod;
  container: Container;
  lookup: ObjectLookup;
  facts: PodRuntimeFacts;
  /** Node allocatable, the value of limits a container leaves unset. */
  allocatable: Record<string, string | number>;
  /** Warning events on the pod (invalid envFrom keys). */
  onWarning?(reason: string, message: string): void;
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

/** A Secret's `data` value as text (its bytes, base64 in the API). */
export function secretText(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

function asConfigError(fn: () => string): string {
  try {
    return fn();
  } catch (err) {
    throw new ContainerConfigError(err instanceof Error ? err.message : String(err));
  }
}

/** The pod's namespace's Services (when service links are on) and the master namespace's (when needed apart). */
function serviceLists(pod: Pod, lookup: ObjectLookup): Promise<[Service[], Service[] | undefined]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const enableLinks = pod.spec?.enableServiceLinks !== false;
  return Promise.all([
    enableLinks ? lookup.services(ns) : Promise.resolve([]),
    ns === MASTER_SERVICE_NAMESPACE && enableLinks ? Promise.resolve(undefined) : lookup.services(MASTER_SERVICE_NAMESPACE),
  ]);
}

/**
 * Asks the lookup now for the Service lists `makeEnvironment` will read for this pod, so a caching
 * lookup has them when the containers are made (e.g. while the sandbox is being created).
 */
export function prefetchEnvironment(pod: Pod, lookup: ObjectLookup): void {
  serviceLists(pod, lookup).catch(() => undefined);
}

export async function makeEnvironment(input: EnvironmentInput): Promise<EnvVarValue[]> {
  const { pod, container, lookup } = input;
  const ns = pod.metadata?.namespace ?? 'default';
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const getConfigMap = async (name: string): Promise<ConfigMap | undefined> => {
    if (!configMaps.has(name)) configMaps.set(name, await lookup.configMap(ns, name));
    return configMaps.get(name);
  };
  const getSecret = async (name: string): Promise<Secret | undefined> => {
    if (!secrets.has(name)) secrets.set(name, await lookup.secret(ns, name));
    return secrets.get(name);
  };

  const enableLinks = pod.spec?.enableServiceLinks !== false;
  const [nsServices, masterServices] = await serviceLists(pod, lookup);
  const serviceEnv = new Map(serviceEnvVars(servicesForPod(ns, enableLinks, nsServices, masterServices ?? nsServices))
    .map((e) => [e.name, e.value] as const));

  const env = new Map<string, string>();

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string>;
    let what: string;
    let name: string;
    if (from.configMapRef) {
      name = from.configMapRef.name ?? '';
      what = 'configMap';
      const cm = await getConfigMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw configMapNotFound(name);
      }
      data = cm.data ?? {};
    } else if (from.secretRef) {
      name = from.secretRef.name ?? '';
      what = 'secret';
      const s = await getSecret(name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw secretNotFound(name);
      }
      data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, secretText(v)]));
    } else continue;
    const invalid: string[] = [];
    for (const [k0, v] of Object.entries(data)) {
      const k = prefix + k0;
      if (!isEnvVarName(k)) {
        invalid.push(k);
        continue;
      }
      env.set(k, v);
    }
    if (invalid.length > 0) {
      invalid.sort();
      input.onWarning?.('InvalidEnvironmentVariableNames',
        `Keys [${invalid.join(', ')}] from the EnvFrom ${what} ${ns}/${name} were skipped since they are considered invalid environment variable names.`);
    }
  }

  for (const e of container.env ?? []) {
    let value: string;
    const src = e.valueFrom;
    if (!src) {
      value = expand(e.value ?? '', mappingFor(env, serviceEnv));
    } else if (src.fieldRef) {
      value = asConfigError(() => podFieldValue(pod, src.fieldRef!.fieldPath, input.facts));
    } else if (src.resourceFieldRef) {
      value = asConfigError(() => podResourceValue(src.resourceFieldRef!, pod, container.name, input.allocatable));
    } else if (src.configMapKeyRef) {
      const { name = '', key, optional } = src.configMapKeyRef;
      const cm = await getConfigMap(name);
      if (!cm) {
        if (optional) continue;
        throw configMapNotFound(name);
      }
      const v = cm.data?.[key];
      if (v === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
      }
      value = v;
    } else if (src.secretKeyRef) {
      const { name = '', key, optional } = src.secretKeyRef;
      const s = await getSecret(name);
      if (!s) {
        if (optional) continue;
        throw secretNotFound(name);
      }
      const v = s.data?.[key];
      if (v === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
      }
      value = secretText(v);
    } else {
      value = '';
    }
    env.set(e.name, value);
  }

  const out: EnvVarValue[] = [...env].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!env.has(name)) out.push({ name, value });
  return out;
}

/** Storage keys: `/registry/<group|core>/<resource>/<namespace>/<name>` (cluster-scoped: no namespace). */
import type { ResourceInfo } from '../../apimachinery/resource-info.js';

export function resourcePrefix(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return `/registry/${info.group || 'core'}/${info.resource}/`;
}

export function namespacePrefix(info: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'>, namespace: string): string {
  return info.namespaced && namespace ? `${resourcePrefix(info)}${namespace}/` : resourcePrefix(info);
}

export function objectKey(info: Pick<ResourceInfo, 'group' | 'resource' | 'namespaced'>, namespace: string, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}

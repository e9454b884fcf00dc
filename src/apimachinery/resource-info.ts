/** Static description of one served resource (generated from the OpenAPI document + facts table). */

export interface SubresourceInfo {
  /** e.g. `status`, `scale`, `binding`, `log`, `exec`, `eviction`. */
  name: string;
  /** Group/version/kind of the subresource's body (Scale is autoscaling/v1). */
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural lower-case name used in URLs, e.g. `deployments`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  subresources: SubresourceInfo[];
  /** OpenAPI definition name, e.g. `io.k8s.api.apps.v1.Deployment`. */
  definition: string;
  /**
   * True for resources that store nothing (reviews, `bindings`, `componentstatuses`): they are
   * served and discovered, but have no storage and no watch.
   */
  virtual?: boolean;
}

export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

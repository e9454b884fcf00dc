/** networking.k8s.io and discovery.k8s.io resources. */
import type { TableConvertor } from '../strategy.js';
import { ageCell, ageColumn, column, nameCell, nameColumn } from './columns.js';
import { loadBalancerIngress } from './core.js';
import {
  NONE,
  at,
  formatLabelSelector,
  list,
  listWithMore,
  optNum,
  optStr,
  rec,
  str,
} from './format.js';


/** Up to three rule hosts then `+ N more...`; `*` when no rule names a host. */
export function formatIngressHosts(rules: unknown): string {
  const rs = list(rules).map(rec);
  const out: string[] = [];
  const max = 3;
  let more = false;
  for (const rule of rs) {
    if (out.length === max) more = true;
    if (!more && str(rule.host).length !== 0) out.push(str(rule.host));
  }
  if (out.length === 0) return '*';
  const ret = out.join(',');
  return more ? `${ret} + ${rs.length - max} more...` : ret;
}

export const ingressTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  cells(o, now) {
    return [
      nameCell(o),
      optStr(at(o, 'spec', 'ingressClassName')) ?? NONE,
      formatIngressHosts(at(o, 'spec', 'rules')),
      loadBalancerIngress(at(o, 'status', 'loadBalancer')),
      list(at(o, 'spec', 'tls')).length !== 0 ? '80, 443' : '80',
      ageCell(o, now),
    ];
  },
};

export const ingressClassTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  cells(o, now) {
    const p = at(o, 'spec', 'parameters');
    let parameters = NONE;
    if (p !== undefined && p !== null) {
      const params = rec(p);
      parameters = str(params.kind);
      const group = optStr(params.apiGroup);
      if (group !== undefined) parameters += `.${group}`;
      parameters += `/${str(params.name)}`;
    }
    return [nameCell(o), str(at(o, 'spec', 'controller')), parameters, ageCell(o, now)];
  },
};

export const networkPolicyTable: TableConvertor = {
  columns: [nameColumn(), column('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), ageColumn()],
  cells: (o, now) => [nameCell(o), formatLabelSelector(rec(at(o, 'spec', 'podSelector'))), ageCell(o, now)],
};

export const endpointSliceTable: TableConvertor = {
  columns: [
    nameColumn(),
    column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    ageColumn(),
  ],
  cells(o, now) {
    const max = 3;
    const ports: string[] = [];
    let portsMore = false;
    let portCount = 0;
    for (const raw of list(o.ports)) {
      const p = rec(raw);
      if (ports.length < max) {
        const n = optNum(p.port);
        const pn = optStr(p.name);
        ports.push(n !== undefined ? String(n) : pn !== undefined ? pn : '*');
      } else if (ports.length === max) {
        portsMore = true;
      }
      portCount++;
    }
    const addrs: string[] = [];
    let addrMore = false;
    let addrCount = 0;
    for (const raw of list(o.endpoints)) {
      for (const a of list(rec(raw).addresses)) {
        if (addrs.length < max) addrs.push(str(a));
        else if (addrs.length === max) addrMore = true;
        addrCount++;
      }
    }
    return [
      nameCell(o),
      str(o.addressType),
      listWithMore(ports, portsMore, portCount, max),
      listWithMore(addrs, addrMore, addrCount, max),
      ageCell(o, now),
    ];
  },
};

export const serviceCIDRTable: TableConvertor = {
  columns: [nameColumn(), column('CIDRs', 'string', 'CIDRs defines the IP blocks in CIDR notation.'), ageColumn()],
  cells: (o, now) => [nameCell(o), list(at(o, 'spec', 'cidrs')).map(str).join(','), ageCell(o, now)],
};

export const ipAddressTable: TableConvertor = {
  columns: [nameColumn(), column('ParentRef', 'string', 'ParentRef references the resource that an IPAddress is attached to.')],
  cells(o) {
    const ref = at(o, 'spec', 'parentRef');
    let parent = NONE;
    if (ref !== undefined && ref !== null) {
      const r = rec(ref);
      const group = str(r.group);
      const resource = str(r.resource);
      parent = (group === '' ? resource : `${resource}.${group}`).toLowerCase();
      if (str(r.namespace) !== '') parent += `/${str(r.namespace)}`;
      parent += `/${str(r.name)}`;
    }
    // Upstream declares only these two columns (its extra age cell is never shown).
    return [nameCell(o), parent];
  },
};

/** Endpoints (upstream ValidateEndpoints: addresses are IPs, ports valid). */
import type { FieldError } from '../../../apimachinery/errors.js';
import type { KubeObject } from '../../../apimachinery/object.js';
import {
  child, index, invalidEach, isValidIP, isValidPortNum, isDNS1123Label, notSupported, required, duplicate,
} from '../../../apimachinery/validation/index.js';
import type { Strategy } from '../strategy.js';
import { objArray, str, num } from '../util.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validateEndpoints(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  objArray(obj.subsets).forEach((s, i) => {
    const sp = index('subsets', i);
    for (const list of ['addresses', 'notReadyAddresses']) {
      objArray(s[list]).forEach((a, j) => {
        const ap = index(child(sp, list), j);
        errs.push(...invalidEach(child(ap, 'ip'), str(a.ip), isValidIP(str(a.ip))));
        if (a.hostname !== undefined && str(a.hostname)) errs.push(...invalidEach(child(ap, 'hostname'), a.hostname, isDNS1123Label(str(a.hostname))));
      });
    }
    const ports = objArray(s.ports);
    const names = new Set<string>();
    ports.forEach((p, j) => {
      const pp = index(child(sp, 'ports'), j);
      const name = str(p.name);
      if (ports.length > 1 && !name) errs.push(required(child(pp, 'name')));
      else if (name) {
        errs.push(...invalidEach(child(pp, 'name'), name, isDNS1123Label(name)));
        if (names.has(name)) errs.push(duplicate(child(pp, 'name'), name));
        names.add(name);
      }
      const port = num(p.port) ?? 0;
      errs.push(...invalidEach(child(pp, 'port'), port, isValidPortNum(port)));
      const proto = str(p.protocol);
      if (!proto) errs.push(required(child(pp, 'protocol')));
      else if (!PROTOCOLS.includes(proto)) errs.push(notSupported(child(pp, 'protocol'), proto, PROTOCOLS));
    });
  });
  return errs;
}

export const endpointsStrategy: Strategy = {
  defaults(obj) {
    for (const s of objArray(obj.subsets)) for (const p of objArray(s.ports)) if (!p.protocol) p.protocol = 'TCP';
  },
  validate: validateEndpoints,
  validateUpdate: validateEndpoints,
  generationFields: [],
};

/** rbac.authorization.k8s.io bindings (roles and clusterroles use the default table upstream). */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableConvertor } from '../strategy.js';
import { ageCell, ageColumn, column, nameCell, nameColumn, wide } from './columns.js';
import { list, rec, str } from './format.js';

/** Users, groups and `namespace/name` service accounts of a binding's subjects. */
export function subjectStrings(subjects: unknown): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const raw of list(subjects)) {
    const s = rec(raw);
    switch (s.kind) {
      case 'ServiceAccount':
        serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
        break;
      case 'User':
        users.push(str(s.name));
        break;
      case 'Group':
        groups.push(str(s.name));
        break;
      default:
        break;
    }
  }
  return { users, groups, serviceAccounts };
}

function bindingTable(what: string): TableConvertor {
  return {
    columns: [
      nameColumn(),
      column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      ageColumn(),
      wide('Users', `Users in the ${what}`),
      wide('Groups', `Groups in the ${what}`),
      wide('ServiceAccounts', `ServiceAccounts in the ${what}`),
    ],
    cells(o: KubeObject, now: Date) {
      const ref = rec(o.roleRef);
      const { users, groups, serviceAccounts } = subjectStrings(o.subjects);
      return [
        nameCell(o),
        `${str(ref.kind)}/${str(ref.name)}`,
        ageCell(o, now),
        users.join(', '),
        groups.join(', '),
        serviceAccounts.join(', '),
      ];
    },
  };
}

export const roleBindingTable = bindingTable('roleBinding');
export const clusterRoleBindingTable = bindingTable('clusterRoleBinding');

/**
 * `kubectl get nodemetrics|podmetrics` tables as metrics-server converts them: Name, then the
 * summed `cpu` and `memory` usage (quantities), then the sampling Window.
 */
import type { KubeObject } from '../../apimachinery/object.js';
import { Quantity, parseQuantity } from '../../apimachinery/quantity.js';
import { column } from '../registry/tables/columns.js';
import type { IncludeObject, Table } from '../registry/tables/table.js';
import { buildTable } from '../registry/tables/table.js';
import type { TableConvertor } from '../registry/strategy.js';
import type { NodeMetrics, PodMetrics, Usage } from './convert.js';
import { API_VERSION } from './convert.js';

type Metrics = NodeMetrics | PodMetrics;

function usageOf(m: Metrics): Usage {
  if (m.kind === 'NodeMetrics') return m.usage;
  let cpu = Quantity.fromParts(0n, 0, 'DecimalSI');
  let memory = Quantity.fromParts(0n, 0, 'BinarySI');
  for (const c of m.containers) {
    cpu = cpu.add(parseQuantity(c.usage.cpu));
    memory = memory.add(parseQuantity(c.usage.memory));
  }
  return { cpu: cpu.toString(), memory: memory.toString() };
}

const convertor: TableConvertor = {
  columns: [
    column('Name', 'string', 'Name of the resource', { format: 'name' }),
    column('cpu', 'string', '', { format: 'quantity' }),
    column('memory', 'string', '', { format: 'quantity' }),
    column('Window', 'string', '', { format: 'duration' }),
  ],
  cells(obj) {
    const m = obj as unknown as Metrics;
    const u = usageOf(m);
    return [m.metadata.name, u.cpu, u.memory, m.window];
  },
};

export function metricsTable(items: Metrics[], kind: Metrics['kind'], query: URLSearchParams): Table {
  const v = query.get('includeObject');
  const includeObject: IncludeObject = v === 'None' || v === 'Object' ? v : 'Metadata';
  return buildTable(convertor, items as unknown as KubeObject[], { now: new Date(), includeObject, kindForMetadata: { apiVersion: API_VERSION, kind } });
}

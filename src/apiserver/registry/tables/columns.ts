/** Column-definition builders (upstream's names, types, formats and priorities) and their shared cells. */
import type { KubeObject } from '../../../apimachinery/object.js';
import type { TableColumnDefinition } from '../strategy.js';
import { at, layoutContainerCells, translateTimestampSince } from './format.js';

type ColumnType = TableColumnDefinition['type'];

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Cannot be updated.';
export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created.';

export function column(
  name: string,
  type: ColumnType,
  description: string,
  opts: { priority?: number; format?: string } = {},
): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

/** The leading Name column (`format: name`). */
export function nameColumn(priority = 0): TableColumnDefinition {
  return column('Name', 'string', NAME_DESCRIPTION, { format: 'name', priority });
}

/** The cell of the Name column. */
export function nameCell(o: KubeObject): string {
  return o.metadata.name ?? '';
}

/** The Age column (a string cell such as `5m`). */
export function ageColumn(): TableColumnDefinition {
  return column('Age', 'string', AGE_DESCRIPTION);
}

/** The cell of the Age column: time since creation at `now`. */
export function ageCell(o: KubeObject, now: Date): string {
  return translateTimestampSince(o.metadata.creationTimestamp, now);
}

/** A wide-only (`-o wide`) string column. */
export function wide(name: string, description: string): TableColumnDefinition {
  return column(name, 'string', description, { priority: 1 });
}

export const CONTAINERS = wide('Containers', 'Names of each container in the template.');
export const IMAGES = wide('Images', 'Images referenced by each container in the template.');
export function selectorWide(): TableColumnDefinition {
  return wide('Selector', 'A label query over pods that should match the replica count.');
}

/**
 * The trailing wide columns of a pod-template owner (workloads, jobs): Containers, Images and,
 * unless `selector: false`, Selector. `podTemplateCells` gives their cells.
 */
export function podTemplateColumns(opts: { selector?: boolean } = {}): TableColumnDefinition[] {
  return opts.selector === false ? [CONTAINERS, IMAGES] : [CONTAINERS, IMAGES, selectorWide()];
}

/** Cells of `podTemplateColumns`: the container names and images of `template`, then `selector` when given. */
export function podTemplateCells(template: unknown, selector?: string): string[] {
  const [names, images] = layoutContainerCells(at(template, 'spec', 'containers'));
  return selector === undefined ? [names, images] : [names, images, selector];
}

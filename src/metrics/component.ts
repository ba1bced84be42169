/**
 * The attributes that say which component a self-metric is about, as the semantic conventions for
 * SDK self-observability name them (`otel.component.type`, `otel.component.name`).
 */

/**
 * No standard component type fits ttlog's processor, and for those the conventions ask for the
 * language's own name of the type: the class name.
 */
const COMPONENT_TYPE = 'TTLogProcessor';

/**
 * Instances numbered per process in the order they are made, as the SDK's own processors do, so
 * the names come out the same after a restart (low cardinality) and never repeat within the SDK
 * instance. Module state on purpose: the count is the process's, not any one instance's.
 */
let instancesMade = 0;

/** The attributes every self-metric of a component carries (a type alias, so it is assignable to the API's `Attributes`). */
export type ComponentAttributes = Readonly<Record<'otel.component.type' | 'otel.component.name', string>>;

/** The next instance's attributes: `TTLogProcessor/0`, `TTLogProcessor/1`, and so on. */
export function nextComponent(): ComponentAttributes {
  return { 'otel.component.type': COMPONENT_TYPE, 'otel.component.name': `${COMPONENT_TYPE}/${instancesMade++}` };
}

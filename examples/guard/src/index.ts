/**
 * guard: a reference product licensed through Tessera, shaped like NeuVector. A controller (dist/controller.js)
 * watches the license and manages enforcers (dist/enforcer.js); each enforcer holds a seat of role `enforcer`.
 */
export const PRODUCT = 'guard';
export const ENFORCER_ROLE = 'enforcer';
/** The features guard's licenses may carry; the controller shows each one on or off. */
export const FEATURES = ['scan', 'enforce', 'federation'] as const;
export const REMOTE_CLUSTERS_LIMIT = 'remote_clusters';
/** What the controller accepts as a node id (host names, pod names, ids with : or .); the enforcer checks it first. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
/** A host name an enforcer may report for the status page; the enforcer sends none when its own does not fit. */
export const HOST_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

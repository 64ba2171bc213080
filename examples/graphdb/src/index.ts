/** graphdb: a stand-in graph database (query and storage nodes) licensed through Tessera. The program is main.ts. */
export { parseFlags, ROLES, USAGE } from './flags.js';
export type { NodeFlags, Role } from './flags.js';
export { parseStatement } from './language.js';
export type { Statement } from './language.js';
export { fnv1a32, storageFor } from './routing.js';
export { createGraphdbNode, PRODUCT } from './node.js';

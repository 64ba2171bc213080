/** Being built (issue 7). */
export const PRODUCT = 'guard';

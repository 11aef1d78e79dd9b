import type { StartRole } from '../service/role.js';

/** Placeholder until the mapper lands (issue 3). */
export const startMapper: StartRole = () => Promise.reject(new Error('the mapper is not implemented yet'));

import type { StartRole } from '../service/role.js';

/** Placeholder until the materializer lands (issue 4). */
export const startMaterializer: StartRole = () => Promise.reject(new Error('the materializer is not implemented yet'));

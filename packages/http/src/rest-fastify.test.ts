import { mounts } from './testing/mounts.js';
import { describeRestApi } from './testing/rest-suite.js';

describeRestApi('Fastify', mounts.mountFastify);

import { mounts } from './testing/mounts.js';
import { describeRestApi } from './testing/rest-suite.js';

describeRestApi('Hono', mounts.mountHono);

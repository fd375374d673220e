import { mounts } from './testing/mounts.js';
import { describeRestApi } from './testing/rest-suite.js';

describeRestApi('node:http', mounts.mountNodeHttp);

import { mounts } from './testing/mounts.js';
import { describeRestApi } from './testing/rest-suite.js';

describeRestApi('the in-process client', mounts.mountInProcess);

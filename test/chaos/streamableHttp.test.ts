import { chaosMatrix } from './matrix.js';

chaosMatrix('streamableHttp');

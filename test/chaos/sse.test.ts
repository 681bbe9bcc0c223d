import { chaosMatrix } from './matrix.js';

chaosMatrix('sse');

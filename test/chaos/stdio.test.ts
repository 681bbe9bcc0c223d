import { chaosMatrix } from './matrix.js';

chaosMatrix('stdio');

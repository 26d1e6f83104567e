import { startEmbeddedPipeline } from '../helpers/pipeline.js';
import { storableValues } from './storable-values-suite.js';

storableValues('embedded bus and PGlite', startEmbeddedPipeline);

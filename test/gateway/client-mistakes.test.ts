import { startEmbeddedPipeline } from '../helpers/pipeline.js';
import { clientMistakes } from './client-mistakes-suite.js';

clientMistakes('embedded bus and PGlite', startEmbeddedPipeline);

import { startEmbeddedPipeline } from '../helpers/pipeline.js';
import { clientAgainstGateway } from './gateway-suite.js';

clientAgainstGateway('embedded bus and PGlite', startEmbeddedPipeline);

import { clientMistakes } from '../../test/gateway/client-mistakes-suite.js';
import { startTestPipeline } from '../../test/helpers/pipeline.js';

clientMistakes('NATS JetStream and PostgreSQL', startTestPipeline);

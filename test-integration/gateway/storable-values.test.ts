import { storableValues } from '../../test/gateway/storable-values-suite.js';
import { startTestPipeline } from '../../test/helpers/pipeline.js';

storableValues('NATS JetStream and PostgreSQL', startTestPipeline);

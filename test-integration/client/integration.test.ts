import { clientAgainstGateway } from '../../test/client/gateway-suite.js';
import { startTestPipeline } from '../../test/helpers/pipeline.js';

clientAgainstGateway('NATS JetStream and PostgreSQL', startTestPipeline);

// Child process for the lookup tests: a gateway alone (no worker), configured from the
// environment it is given; prints its address, then serves until it is killed.
import { loadConfig } from '../../src/config/index.js';
import { runServices } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';

const services = await runServices(loadConfig(process.env), silentLogger(), { gateway: true, worker: false, migrate: true });
process.stdout.write(`${services.address}\n`);

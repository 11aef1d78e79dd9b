// The `stockline` command (bin/stockline.js runs this): the product's commands (src/cli/) and the
// development tools' (src/dev/cli/). This is the only module outside src/dev/ that imports it.
import { main } from './cli/program.js';
import { devCommandLine } from './dev/cli/index.js';

process.exitCode = await main(process.argv, devCommandLine);
// Kafka clients and database pools may keep the loop alive; a CLI command is done here.
process.exit(process.exitCode);

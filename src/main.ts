// Process entry of the `gatehouse` command: everything is a CLI command, `serve` included
// (src/server.ts starts the server; src/cli/ holds the commands).
import { runCli } from './cli/cli.js';

process.exitCode = await runCli(process.argv);

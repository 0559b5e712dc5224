#!/usr/bin/env node
// agentbus-broker: the broker as a process. See BROKER_USAGE (--help).
import { startTracing } from '@agentbus/metrics';
import { authConfigFromEnv } from './auth/auth-config';
import { createBroker } from './broker';
import { BROKER_USAGE, brokerServerConfig, loadDotEnv } from './config/broker-env';

async function main(): Promise<number> {
  loadDotEnv();
  const config = brokerServerConfig(process.argv.slice(2));
  if (config === 'help') {
    console.log(BROKER_USAGE);
    return 0;
  }
  // Before the transport exists, so its spans go to the SDK; off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = await startTracing({ serviceName: 'agentbus-broker' });
  const broker = createBroker(config.options);
  const url = await broker.listen(config.port, config.host);
  broker.app.log.info({ url, backend: broker.transport.backend, docs: `${url}/docs` }, 'broker listening');
  process.on('SIGHUP', () => {
    // Re-reads the token file: revoke or add tokens without a restart.
    try {
      const auth = authConfigFromEnv();
      if (auth && broker.tokens) {
        broker.tokens.replace(auth.tokens);
        broker.app.log.info({ tokens: broker.tokens.size() }, 'tokens reloaded');
      }
    } catch (error) {
      broker.app.log.error({ err: error }, 'token reload failed; the previous tokens stay in force');
    }
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      broker.app.log.info({ signal }, 'stopping');
      broker.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // Last: the spans of the requests finished during the stop are exported too.
  await tracing.shutdown();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // One line saying why, then a non-zero exit.
    console.error(`agentbus-broker: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

import { createPluginRegistry, jsonlFileSinkPlugin } from '@vigil/core';
import type { PluginDefinition, PluginRegistry } from '@vigil/core';
import { dnsCheckPlugin } from '@vigil/checks-dns';
import { httpCheckPlugin } from '@vigil/checks-http';
import { icmpCheckPlugin } from '@vigil/checks-icmp';
import { tcpCheckPlugin } from '@vigil/checks-tcp';
import { udpCheckPlugin } from '@vigil/checks-udp';
import { smpCheckPlugin } from '@vigil/checks-smp';
import { xftpCheckPlugin } from '@vigil/checks-xftp';
import { sqliteSinkPlugin } from '@vigil/sinks-sqlite';
import { influxdbSinkPlugin } from '@vigil/sinks-influxdb';
import { prometheusSinkPlugin } from '@vigil/sinks-prometheus';
import { emailNotifierPlugin } from '@vigil/notifiers-email';
import { telegramNotifierPlugin } from '@vigil/notifiers-telegram';
import { webhookNotifierPlugin } from '@vigil/notifiers-webhook';

/** Every plugin the CLI knows by type; add new packages' plugin definitions here. */
export const builtinPlugins: readonly PluginDefinition[] = [
  tcpCheckPlugin as PluginDefinition,
  httpCheckPlugin as PluginDefinition,
  icmpCheckPlugin as PluginDefinition,
  udpCheckPlugin as PluginDefinition,
  dnsCheckPlugin as PluginDefinition,
  smpCheckPlugin as PluginDefinition,
  xftpCheckPlugin as PluginDefinition,
  jsonlFileSinkPlugin as PluginDefinition,
  sqliteSinkPlugin as PluginDefinition,
  influxdbSinkPlugin as PluginDefinition,
  prometheusSinkPlugin as PluginDefinition,
  telegramNotifierPlugin as PluginDefinition,
  webhookNotifierPlugin as PluginDefinition,
  emailNotifierPlugin as PluginDefinition,
];

/** A registry holding the built-in plugins. */
export function createBuiltinRegistry(): PluginRegistry {
  return createPluginRegistry(builtinPlugins);
}

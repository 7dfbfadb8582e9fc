// @vigil/test-utils public API. Explicit names only, grouped by area.

// --- fake clock ---
export { createFakeClock, flushMicrotasks } from './fake-clock.js';
export type { FakeClock } from './fake-clock.js';

// --- local servers (src/servers) ---
export { generateCertificate } from './servers/certificates.js';
export type { CertificateKeyType, GenerateCertificateOptions, GeneratedCertificate } from './servers/certificates.js';
export type { ConnectionCounters, LoopbackHost } from './servers/connections.js';
export { findClosedPort, startSilentServer, startTcpServer } from './servers/tcp-server.js';
export type { LocalServer, SilentServer, SilentServerOptions, TcpServer, TcpServerOptions } from './servers/tcp-server.js';
export { startTlsServer } from './servers/tls-server.js';
export type { TlsHandshakeRecord, TlsServer, TlsServerOptions, TlsServerVersion } from './servers/tls-server.js';
export { startHttpServer, startHttpsServer } from './servers/http-server.js';
export type { HttpHandler, HttpServer, HttpServerOptions, HttpsServer, HttpsServerOptions } from './servers/http-server.js';
export { startSocksProxy } from './servers/socks-proxy.js';
export type { SocksProxy, SocksProxyOptions } from './servers/socks-proxy.js';
export { startRecordingSocksProxy } from './servers/recording-socks-proxy.js';
export type { RecordingSocksProxy, RecordingSocksProxyOptions, SocksRequestRecord, SocksRoute } from './servers/recording-socks-proxy.js';

// --- real backends started by tests (src/servers: influxd, prometheus) ---
export { startInfluxdb } from './servers/influxdb.js';
export type { InfluxSeries, InfluxdbServer, InfluxdbServerOptions } from './servers/influxdb.js';
export { checkMetricsWithPromtool, startPrometheus } from './servers/prometheus.js';
export type { PrometheusSample, PrometheusServer, PrometheusServerOptions } from './servers/prometheus.js';

// --- conformance suites (src/conformance) ---
export { testCheck } from './conformance/check.js';
export type { CheckConformanceFixture, CheckConformanceOptions } from './conformance/check.js';
export { createTestCheckContext } from './conformance/check-context.js';
export type { RecordedMetric, TestCheckContextOptions } from './conformance/check-context.js';
export { testSink } from './conformance/sink.js';
export type { SinkConformanceFixture, SinkConformanceOptions } from './conformance/sink.js';
export { testNotifier } from './conformance/notifier.js';
export type { NotifierConformanceFixture, NotifierConformanceOptions } from './conformance/notifier.js';
export { expectConfigError, expectValidPlugin, settlesWithin } from './conformance/meta.js';
export { sampleAlertEvent, sampleAlertRecord, sampleNotification, sampleResultRecord, sampleSnapshotRecord } from './samples.js';

// --- in-memory sink (src/memory-sink.ts) ---
export { createMemorySink } from './memory-sink.js';
export type { MemorySink, MemorySinkBehaviour, MemorySinkOptions } from './memory-sink.js';
export { createMemoryNotifier } from './memory-notifier.js';
export type { MemoryNotifier, MemoryNotifierBehaviour } from './memory-notifier.js';

// --- SimpleX test server (src/simplex) ---
export { encodeServerHello, encodeSignedServerKey, generateSimplexIdentity } from './simplex/identity.js';
export type { ServerHelloFields, SimplexKeyType, SimplexTestIdentity } from './simplex/identity.js';
export { startSmpTestServer } from './simplex/smp-server.js';
export type { SmpClientHelloRecord, SmpMisbehaviour, SmpTestServer, SmpTestServerOptions } from './simplex/smp-server.js';
export { startXftpTestServer } from './simplex/xftp-server.js';
export type { XftpMisbehaviour, XftpTestServer, XftpTestServerOptions } from './simplex/xftp-server.js';

// --- Telegram Bot API test server (src/telegram) ---
export { TelegramParseError, parseMarkdownV2, parseTelegramHtml } from './telegram/markdown-v2.js';
export type { ParsedTelegramText, TelegramMessageEntity } from './telegram/markdown-v2.js';
export { startTelegramBotApiServer } from './telegram/bot-api-server.js';
export type {
  TelegramApiCall,
  TelegramBotApiServer,
  TelegramBotApiServerOptions,
  TelegramScriptedFailure,
  TelegramSentMessage,
  TelegramUserMessageInput,
} from './telegram/bot-api-server.js';

// --- SMTP test server: aiosmtpd (src/smtp) ---
export { startSmtpServer } from './smtp/smtp-server.js';
export type { ReceivedMail, SmtpBehaviour, SmtpServer, SmtpServerOptions } from './smtp/smtp-server.js';

// --- recording logger (src/recording-logger.ts) ---
export { createRecordingLogger } from './recording-logger.js';
export type { RecordedLogLine, RecordingLogger } from './recording-logger.js';

// --- cleanup of what tests open (src/cleanup.ts) ---
export { cleanupAfterAll, cleanupAfterEach } from './cleanup.js';
export type { Closable, TestCleanups } from './cleanup.js';

// --- fuzzing helpers ---
export { createSeededIntegers, createSeededRandom } from './fuzzing.js';

// @vigil/simplex-protocol public API. Explicit names only, grouped by area.

// --- primitive encoding and blocks (doc §2.6, §4.1) ---
export {
  BLOCK_SIZE,
  ByteReader,
  ascii,
  decodeBatch,
  encodeBatch,
  int64,
  largeString,
  malformed,
  pad,
  shortString,
  unpad,
  word16,
  word32,
} from './encoding.js';

// --- server addresses (doc §1) ---
export { defaultPorts, formatServerAddress, parseServerAddress, redactServerAddresses } from './address.js';
export type { ServerAddress, SimplexScheme } from './address.js';

// --- crypto (doc §3.4, §5.4) ---
export {
  ED25519_SPKI_PREFIX,
  X25519_SPKI_PREFIX,
  cryptoBox,
  cryptoBoxOpen,
  decodePublicKey,
  ed25519KeyPairFromSeed,
  encodePublicKey,
  generateEd25519KeyPair,
  generateX25519KeyPair,
  hkdfSha512,
  sha256,
  sha512,
  signBytes,
  verifySignature,
  x25519,
  x25519KeyPairFromPrivate,
} from './crypto.js';
export type { KeyPair } from './crypto.js';

// --- handshake and identity (doc §2.4, §3, §4.3) ---
export {
  IdentityCache,
  decodeSmpServerHello,
  decodeXftpServerHello,
  encodeSmpClientHello,
  encodeXftpClientHello,
  negotiateVersion,
  parseSignedServerKey,
  smpClientVersions,
  smpVersions,
  verifyServerIdentity,
  xftpClientVersions,
} from './handshake.js';
export type { IdentityProblem, ServerHello, SignedServerKey, SmpClientHelloOptions, VerifiedIdentity, VerifyIdentityOptions, VersionRange } from './handshake.js';

// --- transmissions and block encryption (doc §3.4, §4.1, §4.3) ---
export {
  BlockCipherChain,
  ENCRYPTED_CONTENT_SIZE,
  createBlockChains,
  decodeSmpTransmission,
  decodeXftpTransmission,
  encodeSmpTransmission,
  encodeXftpTransmission,
} from './transmission.js';
export type { EncodeTransmissionOptions, Transmission } from './transmission.js';

// --- SMP commands (doc §4.2, §5.2) ---
export {
  RECEIVED_MESSAGE_PADDED_SIZE,
  encodeAck,
  encodeDelete,
  encodeNew,
  encodePing,
  encodeRecipientSecures,
  encodeSend,
  encodeSenderKey,
  encodeSubscribe,
  parseReceivedMessage,
  parseSmpResponse,
} from './smp-commands.js';
export type { NewQueueOptions, ReceivedMessage, SmpResponse } from './smp-commands.js';

// --- XFTP commands (doc §5.3) ---
export {
  encodeDeleteFile,
  encodeGetFile,
  encodeNewFile,
  encodePutFile,
  encodeXftpPing,
  parseXftpResponse,
  xftpChunkSizes,
} from './xftp-commands.js';
export type { NewFileOptions, XftpResponse } from './xftp-commands.js';

// --- transport settings and probe plumbing shared by the checks ---
export { DEFAULT_SOCKS_PROXY, resolveTransportPlan, simplexTimeoutDefaults, simplexTransportOptionsShape } from './transport-options.js';
export type { SimplexTransportOptions, SimplexTransportPlan } from './transport-options.js';
export {
  ProbeFailure,
  abortFailure,
  dialSimplex,
  identityFailure,
  negotiateHelloVersion,
  parseServerHello,
  statusForReason,
  tlsConnectionFacts,
  tlsPeerChain,
  toProbeFailure,
  verifyTlsIdentity,
} from './probe.js';
export type { SimplexSessionFacts, TlsIdentityOptions } from './probe.js';

// --- the check run around the protocol steps, shared by the SMP and XFTP checks ---
export { buildSimplexCheckPlan, parseSimplexCheckOptions, runPings, runSimplexCheck, sleepFor, unexpectedReplyFailure } from './check-support.js';
export type {
  PingSeriesOptions,
  SimplexCheckOptionsBase,
  SimplexCheckPlan,
  SimplexCheckRun,
  SimplexProbeClient,
  SimplexProtocolLabels,
  SimplexRunState,
  UnexpectedReplyOptions,
} from './check-support.js';

import { type KeyObject, X509Certificate, createHash, generateKeyPair, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';

// A small DER writer: enough of X.690 to build X.509 v3 certificates for tests, so no
// certificate library (and no global polyfill) is needed.

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octetString = (content: Buffer): Buffer => tlv(0x04, content);
const bitString = (content: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
const booleanTrue = (): Buffer => tlv(0x01, Buffer.from([0xff]));
const explicit = (tagNumber: number, content: Buffer): Buffer => tlv(0xa0 + tagNumber, content);

function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  // A leading 1 bit would make the INTEGER negative.
  return tlv(0x02, (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function objectIdentifier(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift((rest & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-01-01T00:00:00.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

const oids = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
} as const;

function name(commonName: string): Buffer {
  return sequence(
    set(sequence(objectIdentifier(oids.organization), tlv(0x0c, Buffer.from('Vigil test', 'utf8')))),
    set(sequence(objectIdentifier(oids.commonName), tlv(0x0c, Buffer.from(commonName, 'utf8')))),
  );
}

function ipAddressBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  // Expand `::` and write eight 16-bit groups.
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  return bytes;
}

/**
 * The keyUsage bits: digitalSignature always; keyEncipherment for RSA; keyCertSign (+ cRLSign for
 * CAs) for CAs and self-signed certificates, which OpenSSL then accepts as their own issuer.
 */
function keyUsage(keyType: CertificateKeyType, certificateAuthority: boolean, selfSigned: boolean): Buffer {
  let bits = 0x80;
  if (keyType === 'rsa') bits |= 0x20;
  if (certificateAuthority || selfSigned) bits |= 0x04;
  if (certificateAuthority) bits |= 0x02;
  // DER: the unused bits are the trailing zero bits of the only byte.
  let unused = 0;
  while (unused < 7 && ((bits >> unused) & 1) === 0) unused += 1;
  return bitString(Buffer.from([bits]), unused);
}

function extension(oid: string, value: Buffer, critical = false): Buffer {
  return critical ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

/** Key algorithms the generator supports. */
export type CertificateKeyType = 'ec' | 'rsa' | 'ed25519' | 'ed448';

export interface GenerateCertificateOptions {
  /** Subject common name; default `localhost`. */
  readonly commonName?: string;
  /** DNS names and IP addresses; default `localhost`, `127.0.0.1`, `::1` for leaves, none for CAs. */
  readonly altNames?: readonly string[];
  /** Default one hour ago. */
  readonly notBefore?: Date;
  /** Default 30 days from now. */
  readonly notAfter?: Date;
  /** Default `ec` (P-256). */
  readonly keyType?: CertificateKeyType;
  /** Sign with this certificate's key (a CA from `generateCertificate({ certificateAuthority: true })`); default self-signed. */
  readonly issuer?: GeneratedCertificate;
  /** Make a CA certificate (basicConstraints CA:TRUE, keyCertSign); default false. */
  readonly certificateAuthority?: boolean;
}

/** A certificate and its key, in the forms tests need. */
export interface GeneratedCertificate {
  readonly commonName: string;
  readonly keyType: CertificateKeyType;
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
  /** This certificate followed by its issuers' certificates, for a server to send as its chain. */
  readonly chainPem: string;
  /** SHA-256 of the DER, upper-case hex with colons, as Node prints it. */
  readonly fingerprintSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly issuer: GeneratedCertificate | undefined;
  /** SHA-1 of the public key, the subjectKeyIdentifier; issuers' ids become authorityKeyIdentifier. */
  readonly keyIdentifier: Buffer;
}

const generateKeyPairAsync = promisify(generateKeyPair);

async function generateKeys(keyType: CertificateKeyType): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (keyType) {
    case 'ec':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'rsa':
      return generateKeyPairAsync('rsa', { modulusLength: 2048 });
    case 'ed25519':
      return generateKeyPairAsync('ed25519');
    case 'ed448':
      return generateKeyPairAsync('ed448');
  }
}

function signatureAlgorithm(keyType: CertificateKeyType): { identifier: Buffer; digest: string | null } {
  switch (keyType) {
    case 'ec':
      return { identifier: sequence(objectIdentifier(oids.ecdsaWithSha256)), digest: 'sha256' };
    case 'rsa':
      return { identifier: sequence(objectIdentifier(oids.sha256WithRsa), tlv(0x05, Buffer.alloc(0))), digest: 'sha256' };
    case 'ed25519':
      return { identifier: sequence(objectIdentifier(oids.ed25519)), digest: null };
    case 'ed448':
      return { identifier: sequence(objectIdentifier(oids.ed448)), digest: null };
  }
}

function formatFingerprint(der: Buffer): string {
  return (
    createHash('sha256')
      .update(der)
      .digest('hex')
      .toUpperCase()
      .match(/../g)
      ?.join(':') ?? ''
  );
}

/**
 * Generates an X.509 v3 certificate for local TLS servers: self-signed, or signed by `issuer` to
 * build chains (a CA plus a leaf). Supports EC P-256, RSA 2048, Ed25519 and Ed448 keys.
 */
export async function generateCertificate(options: GenerateCertificateOptions = {}): Promise<GeneratedCertificate> {
  const keyType = options.keyType ?? 'ec';
  const certificateAuthority = options.certificateAuthority ?? false;
  const commonName = options.commonName ?? (certificateAuthority ? 'Vigil test CA' : 'localhost');
  const altNames = options.altNames ?? (certificateAuthority ? [] : ['localhost', '127.0.0.1', '::1']);
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + 30 * 86_400_000);
  const { publicKey, privateKey } = await generateKeys(keyType);
  const publicKeyInfo = publicKey.export({ type: 'spki', format: 'der' });
  const keyIdentifier = createHash('sha1').update(publicKeyInfo).digest();
  const issuer = options.issuer;
  const signerKeyType = issuer?.keyType ?? keyType;
  const signerKey = issuer?.privateKey ?? privateKey;
  const algorithm = signatureAlgorithm(signerKeyType);

  const extensions: Buffer[] = [
    extension(oids.basicConstraints, certificateAuthority ? sequence(booleanTrue()) : sequence(), true),
    extension(oids.keyUsage, keyUsage(keyType, certificateAuthority, issuer === undefined), true),
    extension(oids.subjectKeyIdentifier, octetString(keyIdentifier)),
  ];
  if (!certificateAuthority) extensions.push(extension(oids.extendedKeyUsage, sequence(objectIdentifier(oids.serverAuth), objectIdentifier(oids.clientAuth))));
  if (issuer) extensions.push(extension(oids.authorityKeyIdentifier, sequence(tlv(0x80, issuer.keyIdentifier))));
  if (altNames.length > 0) {
    const generalNames = altNames.map((altName) => (isIP(altName) ? tlv(0x87, ipAddressBytes(altName)) : tlv(0x82, Buffer.from(altName, 'ascii'))));
    extensions.push(extension(oids.subjectAltName, sequence(...generalNames)));
  }

  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  const tbsCertificate = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(serial),
    algorithm.identifier,
    name(issuer?.commonName ?? commonName),
    sequence(time(notBefore), time(notAfter)),
    name(commonName),
    publicKeyInfo,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign(algorithm.digest, tbsCertificate, signerKey);
  const certificateDer = sequence(tbsCertificate, algorithm.identifier, bitString(signature));
  // Parse it once with Node's X.509 parser, so a bad encoding fails here and not in a handshake.
  const parsed = new X509Certificate(certificateDer);
  const certificatePem = parsed.toString();
  return Object.freeze({
    commonName,
    keyType,
    certificatePem,
    certificateDer,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
    chainPem: issuer ? `${certificatePem}${issuer.chainPem}` : certificatePem,
    fingerprintSha256: formatFingerprint(certificateDer),
    notBefore,
    notAfter,
    issuer,
    keyIdentifier,
  });
}

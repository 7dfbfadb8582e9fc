// A real SMTP server on loopback for notifier tests: Debian's python3-aiosmtpd (RFC 5321 with
// STARTTLS, SMTPS and AUTH), driven by a small script. Received messages are parsed by Python's
// standard `email` package, an implementation independent of the sender's MIME builder.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type GeneratedCertificate, generateCertificate } from '../servers/certificates.js';
import type { LoopbackHost } from '../servers/connections.js';

/** How the server answers, changeable while it runs. */
export type SmtpBehaviour =
  | { readonly kind: 'accept' }
  /** Refuses the message after DATA (default `550 5.7.1 Message rejected`). */
  | { readonly kind: 'reject'; readonly reply?: string }
  /** A temporary failure after DATA (default `451 4.3.0 Try again later`). */
  | { readonly kind: 'tempfail'; readonly reply?: string }
  /** Refuses every recipient (default `550 5.1.1 Mailbox unavailable`). */
  | { readonly kind: 'reject-recipient'; readonly reply?: string }
  /** Never answers DATA. */
  | { readonly kind: 'hang' };

export interface SmtpServerOptions {
  readonly host?: LoopbackHost;
  /** `starttls`: plain, upgraded by STARTTLS (required before MAIL unless `requireStartTls: false`); `implicit`: TLS from the first byte (SMTPS). Default `none`. */
  readonly tls?: 'none' | 'starttls' | 'implicit';
  readonly requireStartTls?: boolean;
  /** Default a fresh certificate for localhost and 127.0.0.1. */
  readonly certificate?: GeneratedCertificate;
  /** Require AUTH (PLAIN or LOGIN) with these credentials. */
  readonly auth?: { readonly username: string; readonly password: string };
  readonly behaviour?: SmtpBehaviour;
}

/** One message the server accepted. */
export interface ReceivedMail {
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  /** Whether the session was encrypted (STARTTLS or SMTPS). */
  readonly tls: boolean;
  /** The AUTH login, when the client authenticated. */
  readonly login: string | undefined;
  /** Decoded headers (lower-case names; the last value when repeated). */
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  readonly messageId: string;
  /** The text/plain and text/html bodies, decoded. */
  readonly text: string | undefined;
  readonly html: string | undefined;
  /** The message as received. */
  readonly raw: string;
}

/** A running aiosmtpd. */
export interface SmtpServer {
  readonly host: LoopbackHost;
  readonly port: number;
  readonly certificate: GeneratedCertificate | undefined;
  /** Messages accepted so far, in order. */
  readonly messages: readonly ReceivedMail[];
  /** Changes how the server answers from the next command on. */
  setBehaviour(behaviour: SmtpBehaviour): Promise<void>;
  /** Resolves once at least `count` messages arrived; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<readonly ReceivedMail[]>;
  /** Stops the server; idempotent. */
  close(): Promise<void>;
}

const script = String.raw`
import asyncio, base64, email, email.policy, json, socket, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult

config = json.loads(sys.argv[1])
state = {'behaviour': config.get('behaviour') or {'kind': 'accept'}}

def emit(value):
    sys.stdout.write(json.dumps(value) + '\n')
    sys.stdout.flush()

def text_of(message, kind):
    part = message.get_body(preferencelist=(kind,))
    if part is None or part.get_content_type() != 'text/' + kind:
        return None
    # SMTP carries CRLF; tests compare text with plain newlines.
    return part.get_content().replace('\r\n', '\n')

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        behaviour = state['behaviour']
        if behaviour['kind'] == 'reject-recipient':
            return behaviour.get('reply') or '550 5.1.1 Mailbox unavailable'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        behaviour = state['behaviour']
        if behaviour['kind'] == 'reject':
            return behaviour.get('reply') or '550 5.7.1 Message rejected'
        if behaviour['kind'] == 'tempfail':
            return behaviour.get('reply') or '451 4.3.0 Try again later'
        if behaviour['kind'] == 'hang':
            await asyncio.sleep(3600)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        emit({
            'event': 'message',
            'mailFrom': envelope.mail_from,
            'recipients': envelope.rcpt_tos,
            # aiosmtpd only marks STARTTLS sessions; an SMTPS listener is encrypted from the first byte.
            'tls': session.ssl is not None or config['tls'] == 'implicit',
            'login': getattr(session, 'vigil_login', None),
            'headers': {name.lower(): str(value) for name, value in message.items()},
            'text': text_of(message, 'plain'),
            'html': text_of(message, 'html'),
            'raw': base64.b64encode(raw).decode('ascii'),
        })
        return '250 2.0.0 Message accepted for delivery'

def authenticator(server, session, envelope, mechanism, auth_data):
    expected = config.get('auth')
    login = auth_data.login.decode('utf-8', 'replace')
    password = auth_data.password.decode('utf-8', 'replace')
    if expected and login == expected['username'] and password == expected['password']:
        session.vigil_login = login
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)

async def main():
    loop = asyncio.get_running_loop()
    context = None
    if config['tls'] != 'none':
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(config['certFile'], config['keyFile'])
    auth = config.get('auth')
    family = socket.AF_INET6 if ':' in config['host'] else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((config['host'], 0))
    listener.listen(64)
    listener.setblocking(False)

    def factory():
        return SMTP(
            Handler(),
            hostname='vigil-test-smtp',
            tls_context=context if config['tls'] == 'starttls' else None,
            require_starttls=config['tls'] == 'starttls' and config['requireStartTls'],
            auth_required=bool(auth),
            # With SMTPS aiosmtpd cannot see the TLS layer below it, so it must not insist on STARTTLS.
            auth_require_tls=config['tls'] == 'starttls',
            authenticator=authenticator if auth else None,
            enable_SMTPUTF8=True,
        )

    server = await loop.create_server(factory, sock=listener, ssl=context if config['tls'] == 'implicit' else None)
    emit({'event': 'listening', 'port': listener.getsockname()[1]})
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if command.get('command') == 'behaviour':
            state['behaviour'] = command['behaviour']
            emit({'event': 'behaviour', 'id': command.get('id')})
    server.close()

asyncio.run(main())
`;

/** Interpreters to try: Debian's own first (python3-aiosmtpd installs there), then whatever `python3` is. */
function pythonCandidates(): string[] {
  const fromEnvironment = process.env.VIGIL_PYTHON;
  return [...(fromEnvironment ? [fromEnvironment] : []), '/usr/bin/python3', 'python3'];
}

interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly lines: AsyncIterator<string>;
}

async function launch(python: string, configuration: string): Promise<Started> {
  const child = spawn(python, ['-c', script, configuration], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('error', (error) => reject(new Error(`[test-utils] cannot run ${python}: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`[test-utils] ${python} aiosmtpd exited with ${code}: ${stderr.trim()}`)));
  });
  exited.catch(() => undefined);
  const first = await Promise.race([lines.next(), exited]);
  if (first.done) throw new Error(`[test-utils] ${python} aiosmtpd ended before listening: ${stderr.trim()}`);
  const event = JSON.parse(first.value) as { event: string; port: number };
  return { child, port: event.port, lines };
}

/** Starts aiosmtpd on a free loopback port (plain, STARTTLS or SMTPS; optional AUTH). */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<SmtpServer> {
  const host = options.host ?? '127.0.0.1';
  const tls = options.tls ?? 'none';
  const certificate = tls === 'none' ? undefined : (options.certificate ?? (await generateCertificate()));
  const directory = await mkdtemp(path.join(tmpdir(), 'vigil-smtp-'));
  const certFile = path.join(directory, 'cert.pem');
  const keyFile = path.join(directory, 'key.pem');
  if (certificate) {
    await writeFile(certFile, certificate.chainPem, { mode: 0o600 });
    await writeFile(keyFile, certificate.privateKeyPem, { mode: 0o600 });
  }
  const configuration = JSON.stringify({ host, tls, requireStartTls: options.requireStartTls ?? true, certFile, keyFile, auth: options.auth ?? null, behaviour: options.behaviour ?? null });
  let started: Started | undefined;
  const errors: string[] = [];
  for (const python of pythonCandidates()) {
    try {
      started = await launch(python, configuration);
      break;
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (!started) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`[test-utils] cannot start aiosmtpd (install python3-aiosmtpd): ${errors.join('; ')}`);
  }
  const { child, port, lines } = started;
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const acknowledgements = new Map<number, () => void>();
  let nextCommand = 1;
  let closing: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  void (async () => {
    for (;;) {
      const next = await lines.next().catch(() => ({ done: true as const, value: undefined }));
      if (next.done) break;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(next.value) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (event.event === 'message') {
        const headers = (event.headers ?? {}) as Record<string, string>;
        messages.push({
          mailFrom: String(event.mailFrom),
          recipients: event.recipients as string[],
          tls: event.tls === true,
          login: typeof event.login === 'string' ? event.login : undefined,
          headers,
          subject: headers.subject ?? '',
          messageId: headers['message-id'] ?? '',
          text: typeof event.text === 'string' ? event.text : undefined,
          html: typeof event.html === 'string' ? event.html : undefined,
          raw: Buffer.from(String(event.raw), 'base64').toString('utf8'),
        });
        for (const wake of [...waiters]) wake();
      } else if (event.event === 'behaviour') {
        acknowledgements.get(event.id as number)?.();
      }
    }
  })();

  return {
    host,
    port,
    certificate,
    messages,
    setBehaviour(behaviour) {
      const id = nextCommand;
      nextCommand += 1;
      return new Promise<void>((resolve, reject) => {
        acknowledgements.set(id, () => {
          acknowledgements.delete(id);
          resolve();
        });
        child.stdin.write(`${JSON.stringify({ command: 'behaviour', id, behaviour })}\n`, (error) => {
          if (error) reject(error);
        });
      });
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise<readonly ReceivedMail[]>((resolve, reject) => {
        if (messages.length >= count) {
          resolve(messages);
          return;
        }
        const check = (): void => {
          if (messages.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`[test-utils] SMTP server: timed out after ${timeoutMs} ms waiting for ${count} messages (have ${messages.length})`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      closing ??= (async () => {
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
        await rm(directory, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

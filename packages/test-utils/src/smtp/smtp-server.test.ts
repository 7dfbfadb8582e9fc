import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../cleanup.js';
import { startSmtpServer } from './smtp-server.js';

const { closeLater } = cleanupAfterAll();

/** A minimal SMTP client for checking the test server itself (the notifier uses nodemailer). */
async function converse(socket: net.Socket | tls.TLSSocket, commands: readonly string[]): Promise<string[]> {
  const replies: string[] = [];
  let buffer = '';
  const nextReply = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        buffer += chunk.toString('utf8');
        // A reply ends with a line "NNN text" (a space after the code, not a dash).
        const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffer);
        if (!match) return;
        socket.off('data', onData);
        const reply = buffer;
        buffer = '';
        resolve(reply);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  replies.push(await nextReply());
  for (const command of commands) {
    socket.write(`${command}\r\n`);
    replies.push(await nextReply());
  }
  socket.end();
  return replies.map((reply) => reply.trim());
}

describe('startSmtpServer (aiosmtpd)', () => {
  it('accepts a message and parses it with Python email', async () => {
    const server = closeLater(await startSmtpServer());
    const socket = net.connect(server.port, server.host);
    const message = ['From: a@example.com', 'To: b@example.com', 'Subject: =?utf-8?q?Hello_=F0=9F=94=B4?=', 'Message-ID: <m1@test>', 'Content-Type: text/plain; charset=utf-8', '', 'body line', '.'].join('\r\n');
    const replies = await converse(socket, ['EHLO client', 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.com>', 'DATA', message, 'QUIT']);
    expect(replies[5]).toMatch(/^250 /);
    const [received] = await server.waitForMessages(1);
    expect(received).toMatchObject({ mailFrom: 'a@example.com', recipients: ['b@example.com'], tls: false, subject: 'Hello 🔴', messageId: '<m1@test>', text: 'body line\n' });
  });

  it('answers as told: 550 after DATA, 451, refused recipients', async () => {
    const server = closeLater(await startSmtpServer({ behaviour: { kind: 'reject' } }));
    const send = async (): Promise<string[]> =>
      converse(net.connect(server.port, server.host), ['EHLO client', 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.com>', 'DATA', 'Subject: x\r\n\r\nx\r\n.', 'QUIT']);
    expect((await send())[5]).toMatch(/^550 5\.7\.1/);
    await server.setBehaviour({ kind: 'tempfail' });
    expect((await send())[5]).toMatch(/^451 /);
    await server.setBehaviour({ kind: 'reject-recipient' });
    expect((await send())[3]).toMatch(/^550 5\.1\.1/);
    expect(server.messages).toEqual([]);
  });

  it('speaks SMTPS with AUTH', async () => {
    const server = closeLater(await startSmtpServer({ tls: 'implicit', auth: { username: 'vigil', password: 'hunter2' } }));
    const socket = tls.connect({ host: server.host, port: server.port, ca: server.certificate?.certificatePem, servername: 'localhost' });
    const credentials = Buffer.from('\0vigil\0hunter2').toString('base64');
    const replies = await converse(socket, ['EHLO client', `AUTH PLAIN ${credentials}`, 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.com>', 'DATA', 'Subject: s\r\n\r\nx\r\n.', 'QUIT']);
    expect(replies[2]).toMatch(/^235 /);
    const [received] = await server.waitForMessages(1);
    expect(received).toMatchObject({ tls: true, login: 'vigil' });
  });
});

import { dnsCheckCommand } from './dns.js';
import { httpCheckCommand } from './http.js';
import { icmpCheckCommand } from './icmp.js';
import { smpCheckCommand } from './smp.js';
import { tcpCheckCommand } from './tcp.js';
import type { CheckKindCommand } from './types.js';
import { udpCheckCommand } from './udp.js';
import { xftpCheckCommand } from './xftp.js';

/** Every `vigil check <kind>`; add a kind's command here when its check package lands. */
export const checkKindCommands: readonly CheckKindCommand[] = [tcpCheckCommand, httpCheckCommand, icmpCheckCommand, udpCheckCommand, dnsCheckCommand, smpCheckCommand, xftpCheckCommand];

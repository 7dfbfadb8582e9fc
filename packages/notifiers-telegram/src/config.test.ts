import { VigilError, createPluginRegistry, monitorOptionsFromConfig, parseMonitorConfig } from '@vigil/core';
import type { PluginDefinition } from '@vigil/core';
import { emailNotifierPlugin } from '@vigil/notifiers-email';
import { webhookNotifierPlugin } from '@vigil/notifiers-webhook';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { telegramNotifierPlugin } from './telegram-notifier.js';

const registry = createPluginRegistry([telegramNotifierPlugin, webhookNotifierPlugin, emailNotifierPlugin] as PluginDefinition[]);

// The configuration of docs/notifications.md and the package READMEs, with secrets from the environment.
const yaml = `
notifiers:
  - id: telegram
    type: telegram
    token: \${TELEGRAM_BOT_TOKEN}
    chatId: "-1001234567890"
    topicId: 42
    silent: resolved
    commands:
      allowedChatIds: [-1001234567890, 123456789]
      stateDirectory: /var/lib/vigil
  - id: pager
    type: webhook
    url: https://pager.example/hooks/vigil
    secret: \${VIGIL_WEBHOOK_SECRET}
    headers: { X-Alert-State: "{{state}}" }
    body:
      summary: "{{title}}"
      firing: "{{counts.firing}}"
      alerts: "{{events}}"
  - { id: discord, type: webhook, format: discord, url: "\${DISCORD_WEBHOOK_URL}" }
  - id: email
    type: email
    host: smtp.example.com
    port: 587
    username: vigil@example.com
    password: \${SMTP_PASSWORD}
    from: "Vigil <vigil@example.com>"
    to: [ops@example.com]
alerting:
  groupBy: [env]
  groupWindow: 30s
  routes:
    - { matchers: ["severity=critical"], notifiers: [telegram, pager], continue: true }
    - { notifiers: [email] }
`;

const env = {
  TELEGRAM_BOT_TOKEN: '123456789:AAexampleexampleexampleexample12345',
  VIGIL_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/secret-token',
  SMTP_PASSWORD: 'correct horse battery staple',
};

describe('notifiers from a config file', () => {
  it('creates all three notifiers from the documented YAML, without any I/O', () => {
    const { config } = parseMonitorConfig(parseYaml(yaml), { env });
    const options = monitorOptionsFromConfig(config, registry);
    expect(options.notifiers?.map((notifier) => ('id' in notifier ? [notifier.id, notifier.plugin.meta.type] : []))).toEqual([
      ['telegram', 'telegram'],
      ['pager', 'webhook'],
      ['discord', 'webhook'],
      ['email', 'email'],
    ]);
  });

  it('names the bad field and never echoes a secret', () => {
    const bad = yaml.replace('chatId: "-1001234567890"', 'chatId: "general"');
    const { config } = parseMonitorConfig(parseYaml(bad), { env: { ...env, TELEGRAM_BOT_TOKEN: 'not-a-token-but-secret' } });
    let message = '';
    try {
      monitorOptionsFromConfig(config, registry);
    } catch (error) {
      expect(VigilError.hasCode(error, 'VIGIL_ERR_CONFIG')).toBe(true);
      message = (error as Error).message;
    }
    expect(message).toContain('notifiers[0].token');
    expect(message).toContain('notifiers[0].chatId');
    expect(message).not.toContain('not-a-token-but-secret');
  });
});

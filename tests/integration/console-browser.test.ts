import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { composeAlert } from '@cctns/station-agent';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approveWithAgent,
  OPERATOR_PASSWORD,
  startConsoleNetwork,
  STATIONS,
  type ConsoleNetwork,
  type OPERATORS,
} from '../support/console-network.js';

// The HQ console in headless Chromium (Debian's package, driven by playwright-core) against the
// real console server over HTTPS (a self-signed certificate the browser is told to accept), real
// brokers and real station agents. Each page is saved as a screenshot in test-results/console/.
const CHROMIUM = process.env['CCTNS_CHROMIUM'] ?? '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-results', 'console');
let net: ConsoleNetwork;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  net = await startConsoleNetwork('console-browser', { https: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
    ],
  });
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await net?.stop();
});

async function open(): Promise<Page> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1366, height: 768 },
    locale: 'en-IN',
    timezoneId: 'Europe/London',
  });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(net.national.url);
  return page;
}

async function signIn(page: Page, username: keyof typeof OPERATORS, code?: string) {
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(OPERATOR_PASSWORD);
  await page.getByTestId('login-code').fill(code ?? net.code(username));
  await page.getByTestId('login-submit').click();
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe('HQ console in the browser', () => {
  let duty1: Page;
  let broadcastId = '';

  it('refuses a wrong TOTP code with a clear message, then signs in with password and code', async () => {
    duty1 = await open();
    await expect
      .poll(() => duty1.getByTestId('login-submit').isVisible(), { timeout: 15_000 })
      .toBe(true);
    await shot(duty1, '01-sign-in');
    await signIn(duty1, 'duty1', '000000');
    await expect
      .poll(() => duty1.getByTestId('login-error').textContent(), { timeout: 10_000 })
      .toMatch(/wrong|password|code/i);
    await signIn(duty1, 'duty1');
    await expect
      .poll(() => duty1.getByTestId('operator').textContent(), { timeout: 10_000 })
      .toContain('duty1');
    // A new network where no alert has flowed yet: the link is up from the stream itself.
    await expect
      .poll(() => duty1.getByTestId('link-state').getAttribute('data-connected'), {
        timeout: 10_000,
      })
      .toBe('true');
    expect(await duty1.getByTestId('link-state').textContent()).toContain('Broker linked');
  });

  it('shows a live alert arrive in the feed without reloading', async () => {
    const sender = net.stations.get('station/MH/PUNE/PS001')!;
    const alert = composeAlert({
      sender: sender.identity,
      to: { stations: ['station/KA/BENGALURU/PS001'] },
      event: 'Kidnapping',
      headline: 'अपहरण: बच्ची, 8 वर्ष — white Swift MH12AB1234',
      severity: 'extreme',
      now: new Date(),
    });
    await sender.send(alert);
    const row = duty1.locator(`[data-testid="feed-item"][data-alert-id="${alert.identifier}"]`);
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    expect(await row.textContent()).toContain('अपहरण');
    // Times in IST with the zone named, whatever the browser's own zone (here London).
    const ist = new Intl.DateTimeFormat('en-IN', {
      timeZone: 'Asia/Kolkata',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).format(alert.sent!);
    const sentCell = (await row.locator('td').first().textContent()) ?? '';
    expect(sentCell).toContain(`${ist}:`);
    expect(sentCell).toMatch(/ IST$/);
    await shot(duty1, '02-feed');

    // A station's alert: this console did not send it, so it offers no Update or Cancel.
    await row.click();
    await expect
      .poll(() => duty1.getByTestId('alert-headline').textContent(), { timeout: 10_000 })
      .toContain('अपहरण');
    expect(await duty1.getByTestId('alert-cancel').count()).toBe(0);
    expect(await duty1.getByTestId('alert-update').count()).toBe(0);
    expect(await duty1.getByTestId('alert-channels').textContent()).toBe('network only');
  });

  it('composes a national broadcast that waits for a second duty officer, who approves it', async () => {
    await duty1.getByTestId('nav-broadcast').click();
    await duty1.getByTestId('compose-event').fill('Terror threat');
    await duty1.getByTestId('compose-headline').fill('National alert: explosives in a white van');
    await duty1.getByTestId('compose-description').fill('Stop and search; inform HQ at once.');
    await duty1.getByTestId('compose-severity').selectOption('extreme');
    // States by name, only those with a broker; the reach counted before sending.
    expect(await duty1.getByTestId('compose-states').textContent()).toContain('Maharashtra (MH)');
    expect(await duty1.getByTestId('compose-state-DL').count()).toBe(0);
    await duty1.getByTestId('compose-state-MH').check();
    await expect
      .poll(() => duty1.getByTestId('compose-reach').getAttribute('data-count'), {
        timeout: 10_000,
      })
      .toBe('3');
    await duty1.getByTestId('compose-state-MH').uncheck();
    await duty1.getByTestId('compose-national').check();
    expect(await duty1.getByTestId('compose-reach').getAttribute('data-count')).toBe(
      String(STATIONS.length),
    );
    await shot(duty1, '03-broadcast-compose');
    await duty1.getByTestId('compose-submit').click();
    await expect
      .poll(() => duty1.getByTestId('compose-result').textContent(), { timeout: 10_000 })
      .toMatch(/pending/i);
    const pending = duty1.locator('[data-testid="broadcast-item"][data-status="pending"]');
    await expect.poll(() => pending.count(), { timeout: 10_000 }).toBe(1);
    broadcastId = (await pending.getAttribute('data-broadcast-id'))!;
    expect(await pending.getByTestId('broadcast-approve').isDisabled()).toBe(true);

    const duty2 = await open();
    await signIn(duty2, 'duty2');
    await duty2.getByTestId('nav-broadcast').click();
    const item = duty2.locator(
      `[data-testid="broadcast-item"][data-broadcast-id="${broadcastId}"]`,
    );
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 10_000 }).toBe('pending');
    await shot(duty2, '04-broadcast-approval');
    await item.getByTestId('broadcast-approve').click();
    // While the console waits, it says plainly what duty2 must do, and how long it waits.
    await expect
      .poll(() => duty2.getByTestId('approve-wait').textContent(), { timeout: 10_000 })
      .toMatch(/Waiting for your own signature \(\d+ s left of 120 s\)/);
    expect(await duty2.getByTestId('approve-command').textContent()).toContain(
      `approve ${broadcastId}`,
    );
    await shot(duty2, '04b-broadcast-signing');
    // duty2 signs the draft with their own HQ key, through their own agent.
    await approveWithAgent(net, 'duty2', broadcastId);
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 10_000 }).toBe('accepted');
    expect(await item.getByTestId('broadcast-outcome').textContent()).toMatch(
      /Accepted by the broker as log entry #\d+/,
    );
    expect(await duty2.getByTestId('approve-wait').count()).toBe(0);
    // The composer's page hears of it live.
    await expect
      .poll(
        () =>
          duty1
            .locator(`[data-testid="broadcast-item"][data-broadcast-id="${broadcastId}"]`)
            .getAttribute('data-status'),
        { timeout: 10_000 },
      )
      .toBe('accepted');
  });

  it('shows a Cancel the broker refused as refused, with the reason in plain words (English and Hindi)', async () => {
    await duty1.getByTestId('nav-broadcast').click();
    const unknown = '00000000-0000-4000-8000-0000000000cc';
    const id = await duty1.evaluate(async (ref) => {
      const res = await fetch('/api/broadcasts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          msgType: 'cancel',
          references: [ref],
          to: { states: ['MH'] },
          event: 'Terror threat',
          headline: 'Cancelled: found',
        }),
      });
      return ((await res.json()) as { id: string }).id;
    }, unknown);
    const item = duty1.locator(`[data-testid="broadcast-item"][data-broadcast-id="${id}"]`);
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 10_000 }).toBe('refused');
    const outcome = item.getByTestId('broadcast-outcome');
    expect(await outcome.textContent()).toContain('Refused by the broker');
    expect(await outcome.textContent()).toContain('REFERENCE_UNKNOWN');
    expect(await outcome.textContent()).not.toMatch(/Accepted|Broadcast sent/);
    await shot(duty1, '04c-broadcast-refused');
    await duty1.getByTestId('lang').selectOption('hi');
    expect(await outcome.textContent()).toContain('ब्रोकर ने अस्वीकार किया');
    await duty1.getByTestId('lang').selectOption('en');

    // The console's own broadcast offers Update and Cancel on its page.
    await duty1.goto(`${net.national.url}/#/alerts/${broadcastId}`);
    await expect.poll(() => duty1.getByTestId('alert-cancel').count(), { timeout: 10_000 }).toBe(1);
  });

  it("fills the broadcast's receipt tracker as stations acknowledge", async () => {
    for (const a of net.stations.values())
      await expect
        .poll(() => Boolean(a.store.inboxItem(broadcastId)), { timeout: 15_000 })
        .toBe(true);
    await duty1.goto(`${net.national.url}/#/alerts/${broadcastId}`);
    await expect
      .poll(() => duty1.getByTestId('alert-headline').textContent(), { timeout: 10_000 })
      .toContain('explosives');
    await expect
      .poll(() => duty1.getByTestId('tracker-expected').textContent(), { timeout: 10_000 })
      .toBe(String(STATIONS.length));
    let acknowledged = 0;
    for (const a of net.stations.values()) {
      await a.acknowledge(broadcastId, 'team dispatched');
      acknowledged++;
      await expect
        .poll(() => duty1.getByTestId('tracker-acknowledged').textContent(), { timeout: 10_000 })
        .toBe(String(acknowledged));
    }
    const rows = duty1.locator('[data-testid="tracker-station"][data-state="acknowledged"]');
    expect(await rows.count()).toBe(STATIONS.length);
    // What each station said it did, on the alert's page.
    await expect
      .poll(() => duty1.locator('[data-testid="ack-note"]').count(), { timeout: 10_000 })
      .toBe(STATIONS.length);
    expect(await duty1.getByTestId('ack-notes').textContent()).toContain('team dispatched');
    // The feed shows how far it came.
    await duty1.getByTestId('nav-feed').click();
    const progress = duty1
      .locator(`[data-testid="feed-item"][data-alert-id="${broadcastId}"]`)
      .getByTestId('feed-progress');
    await expect
      .poll(() => progress.getAttribute('data-acknowledged'), { timeout: 10_000 })
      .toBe(String(STATIONS.length));
    expect(await progress.textContent()).toContain(
      `${STATIONS.length}/${STATIONS.length} delivered`,
    );
    await duty1.goto(`${net.national.url}/#/alerts/${broadcastId}`);
    await shot(duty1, '05-alert-tracker');
  });

  it('shows stations, notifications, escalations and contacts', async () => {
    await duty1.getByTestId('nav-stations').click();
    await expect
      .poll(() => duty1.locator('[data-testid="station-row"]').count(), { timeout: 10_000 })
      .toBe(STATIONS.length);
    expect(
      await duty1
        .locator('[data-testid="state-tile"][data-state="MH"]')
        .getAttribute('data-status'),
    ).toBeTruthy();
    await shot(duty1, '06-stations');
    await duty1.getByTestId('nav-notifications').click();
    await duty1.waitForTimeout(500);
    await shot(duty1, '07-notifications');
    await duty1.getByTestId('nav-escalations').click();
    await duty1.waitForTimeout(500);
    await shot(duty1, '08-escalations');

    const admin = await open();
    await signIn(admin, 'admin');
    await admin.getByTestId('nav-contacts').click();
    await admin.getByTestId('contacts-state').selectOption('MH');
    await expect
      .poll(() => admin.locator('[data-testid="contact-row"]').count(), { timeout: 10_000 })
      .toBe(2);
    await shot(admin, '09-contacts');

    await admin.getByTestId('nav-audit').click();
    await expect
      .poll(() => admin.getByTestId('audit-source').locator('option[value="MH"]').count(), {
        timeout: 10_000,
      })
      .toBe(1);
    await admin.getByTestId('audit-source').selectOption('MH');
    await admin.getByTestId('audit-verify').click();
    await expect
      .poll(() => admin.getByTestId('audit-verified').getAttribute('data-verified'), {
        timeout: 15_000,
      })
      .toBe('true');
    expect(await admin.locator('[data-testid="audit-row"]').count()).toBeGreaterThan(0);
    await shot(admin, '10-audit');
  });

  it('shows SMS and email rows and their delivery states arrive without reloading', async () => {
    await duty1.getByTestId('nav-notifications').click();
    await expect
      .poll(() => duty1.locator('.count', { hasText: 'updated' }).count(), { timeout: 10_000 })
      .toBe(1);
    // A mark on the page's window: gone if the page were loaded again.
    await duty1.evaluate(() => ((globalThis as unknown as { mark: number }).mark = 1));
    // Nor is the list asked for again: the rows come as socket events.
    const asked: string[] = [];
    const count = (r: { url(): string }) => {
      if (r.url().includes('/api/notifications')) asked.push(r.url());
    };
    duty1.on('request', count);
    const marked = () => duty1.evaluate(() => (globalThis as unknown as { mark?: number }).mark);
    const id = await duty1.evaluate(async () => {
      const res = await fetch('/api/broadcasts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          to: { districts: ['MH/PUNE'] },
          event: 'Kidnapping',
          headline: 'Boy missing near Shaniwar Wada',
          severity: 'extreme',
          channels: ['network', 'sms', 'email'],
        }),
      });
      return ((await res.json()) as { id: string }).id;
    });
    const rows = duty1.locator(`[data-testid="notification-row"][data-alert-id="${id}"]`);
    // Two SHOs by SMS, the one with an address by email.
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(3);
    expect(await marked()).toBe(1);
    duty1.off('request', count);
    expect(asked).toEqual([]);
    await shot(duty1, '11-notifications-live');

    // On the alert's page, a delivery report from the SMS provider shows as it comes.
    await duty1.goto(`${net.national.url}/#/alerts/${id}`);
    await duty1.evaluate(() => ((globalThis as unknown as { mark: number }).mark = 2));
    const sms = (state = '') =>
      duty1
        .getByTestId('alert-notifications')
        .locator(
          `[data-testid="notification-row"][data-channel="sms"]${state ? `[data-state="${state}"]` : ''}`,
        );
    await expect.poll(() => sms().count(), { timeout: 10_000 }).toBe(2);
    const sent = () => net.twilio.messages.filter((m) => m.body.includes('Shaniwar Wada'));
    await expect.poll(() => sent().length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => sms('sent').count(), { timeout: 10_000 }).toBe(2);
    for (const m of sent()) expect(await net.twilio.deliver(m.sid, 'delivered')).toBeLessThan(300);
    await expect.poll(() => sms('delivered').count(), { timeout: 15_000 }).toBe(2);
    expect(await marked()).toBe(2);
    await shot(duty1, '12-alert-notifications');

    // The escalations page says when each silent station's next step falls due, and to whom.
    const sentAt = await duty1.evaluate(
      async (alertId) =>
        ((await (await fetch(`/api/alerts/${alertId}`)).json()) as { alert: { sent: string } })
          .alert.sent,
      id,
    );
    const dueIst = new Intl.DateTimeFormat('en-IN', {
      timeZone: 'Asia/Kolkata',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).format(new Date(new Date(sentAt).getTime() + 3_600_000));
    await duty1.getByTestId('nav-escalations').click();
    const next = duty1
      .locator(`[data-testid="escalation"][data-alert-id="${id}"]`)
      .locator('[data-testid="escalation-station"][data-station="station/MH/PUNE/PS001"]')
      .getByTestId('escalation-next');
    await expect
      .poll(() => next.getAttribute('data-recipients'), { timeout: 15_000 })
      .toBe('sho-pune-ps001');
    const text = (await next.textContent()) ?? '';
    expect(text).toContain(`${dueIst}:`);
    expect(text).toContain('IST');
    expect(text).toContain('SHO Pune PS001 (SHO)');
    await shot(duty1, '13-escalations-next');
  });
});

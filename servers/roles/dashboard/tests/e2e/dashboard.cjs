// Browser test of the OMEGA dashboard (driven by tests/it/e2e.rs).
// Prints READY when the page is live (the Rust side then sends a demo ticket)
// and DROP when it wants the event stream cut.
'use strict';
const path = require('path');
const { chromium } = require(path.join(process.env.E2E_DIR, 'node_modules', 'playwright-core'));

const url = process.env.DASHBOARD_URL;
const token = process.env.DASHBOARD_TOKEN;
const out = process.env.E2E_DIR;
const log = (m) => console.error('[e2e] ' + m);
function check(cond, msg) { if (!cond) throw new Error('check failed: ' + msg); }

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
    page.on('pageerror', (e) => { throw e; });

    // 1. Signed out: the sign-in page, no data.
    await page.goto(url + '/dashboard');
    await page.waitForSelector('#signin:not([hidden])');
    check(await page.isHidden('#review'), 'the review queue is hidden before sign-in');
    const unauth = await page.evaluate(async () => (await fetch('/dashboard/api/tickets')).status);
    check(unauth === 401, 'the API answers 401 without a token, got ' + unauth);
    const wrong = await page.evaluate(async () => (await fetch('/dashboard/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: 'v1.bad.token' }) })).status);
    check(wrong === 401, 'a bad token is refused');

    // 2. Sign in with the keyboard.
    await page.focus('#token');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#review:not([hidden])');
    await page.waitForSelector('button[data-ticket="kaseya:100"]');
    await page.waitForFunction(() => document.getElementById('conn').textContent === 'Live');
    log('signed in, stream live');
    console.log('READY');

    // 3. A demo ticket arrives without reload.
    await page.waitForSelector('button[data-ticket="zendesk:4242"]', { timeout: 15000 });
    check(await page.isVisible('button[data-ticket="zendesk:4242"] .badge.new'), 'the new ticket is marked new');
    log('demo ticket arrived live');

    // 4. Open it with the keyboard and change its category.
    await page.focus('button[data-ticket="zendesk:4242"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cat-select');
    check((await page.textContent('#detail h3')).includes('Demo: cannot reset my password'), 'detail shows the ticket');
    await page.selectOption('#cat-select', 'Access');
    await page.click('#cat-apply');
    await page.waitForFunction(() => /version 2/.test(document.getElementById('detail').textContent));
    check(!/\bnull\b|undefined/.test(await page.textContent('#detail')), 'no stray null/undefined in the detail view');
    const stored = await page.evaluate(async () => (await (await fetch('/dashboard/api/tickets/acme/' + encodeURIComponent('zendesk:4242'))).json()).item);
    check(stored.triage.category.value === 'Access' && stored.version === 2, 'the store has the new category');
    let shadow = null;
    for (let i = 0; i < 100; i++) {
      shadow = await page.evaluate(async () => (await (await fetch('/dashboard/api/shadow')).json()));
      if (shadow.agent && shadow.agent.categoryCorrected === 1) break;
      await page.waitForTimeout(100);
    }
    check(shadow.agent && shadow.agent.categoryCorrected === 1, 'the shadow agent saw the correction: ' + JSON.stringify(shadow));
    check(shadow.classifierUpdates >= 1, 'the classifier was updated');
    log('category changed; store and shadow agent agree');
    await page.screenshot({ path: path.join(out, 'dashboard.png'), fullPage: true });

    // 5. The stream is lost; the page reconnects and catches up.
    console.log('DROP');
    await page.waitForSelector('button[data-ticket="zendesk:4343"]', { timeout: 20000 });
    await page.waitForFunction(() => document.getElementById('conn').textContent === 'Live');
    log('reconnected and caught up');

    // 6. Phone width: no horizontal scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, 'no horizontal overflow at phone width (' + overflow + ' px)');
    await page.screenshot({ path: path.join(out, 'dashboard-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1366, height: 900 });

    // 7. Operations and analytics views draw charts.
    await page.click('nav button[data-view="ops"]');
    await page.waitForFunction(() => document.querySelectorAll('#ops-charts figure').length >= 5);
    check(await page.$$eval('#ops-charts svg', (s) => s.length) >= 4, 'operations charts are drawn');
    await page.screenshot({ path: path.join(out, 'operations.png'), fullPage: true });
    await page.click('nav button[data-view="analytics"]');
    await page.waitForFunction(() => document.querySelectorAll('#an-body svg').length >= 2);
    await page.screenshot({ path: path.join(out, 'analytics.png'), fullPage: true });

    // 8. Sign out: back to the sign-in page.
    await page.click('#signout');
    await page.waitForSelector('#signin:not([hidden])');
    check(await page.isHidden('#review'), 'no data after signing out');
    check(external.length === 0, 'no external requests: ' + external.join(', '));
    log('done');
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });

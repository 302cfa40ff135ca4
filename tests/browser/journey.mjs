// Browser journey through the admin UI, as an administrator would do it: headless Debian
// chromium driven by playwright-core. Only the events are published through the API (as a
// Peopulse service would); everything else is clicks and typing.
//
//   node journey.mjs <base-url> <admin-token> <ingest-token>
//
// Fails on any console error or page error (except the HTTP errors a step provokes on
// purpose), and saves a screenshot of each screen into docs/screenshots/.

import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [base, adminToken, ingestToken] = process.argv.slice(2);
if (!base || !adminToken || !ingestToken) {
  console.error('usage: node journey.mjs <base-url> <admin-token> <ingest-token>');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const shotsDir = process.env.SCREENSHOTS_DIR || resolve(here, '../../docs/screenshots');
const WAIT = 15_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };

// ------------------------------------------------------------------------------ helpers
const problems = [];
let allowed = []; // console errors a step provokes on purpose (regexps)

function watch(page, label) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (allowed.some((re) => re.test(text))) return;
    problems.push(`[${label}] console error: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`[${label}] page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Navigations away from a page cancel its polling; anything else is a real failure.
    const err = r.failure() ? r.failure().errorText : '';
    if (err !== 'net::ERR_ABORTED') problems.push(`[${label}] request failed: ${r.method()} ${r.url()} ${err}`);
  });
}

async function allowing(patterns, fn) {
  const before = allowed;
  allowed = allowed.concat(patterns);
  try {
    return await fn();
  } finally {
    allowed = before;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** Polls `fn` until it returns a truthy value (or throws after `timeout`). */
async function until(what, fn, timeout = WAIT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const visible = (locator, timeout = WAIT) => locator.waitFor({ state: 'visible', timeout });
const hidden = (locator, timeout = WAIT) => locator.waitFor({ state: 'hidden', timeout });

let stepNo = 0;
let passed = 0;
const t0 = Date.now();
async function step(name, fn) {
  stepNo += 1;
  const start = Date.now();
  try {
    await fn();
  } catch (e) {
    console.error(`not ok ${stepNo} - ${name}\n  ${String(e && e.stack ? e.stack : e).split('\n').join('\n  ')}`);
    throw e;
  }
  if (problems.length) {
    console.error(`not ok ${stepNo} - ${name}\n  ${problems.join('\n  ')}`);
    throw new Error('console or page errors');
  }
  passed += 1;
  console.log(`ok ${stepNo} - ${name} (${Date.now() - start} ms)`);
}

async function shot(page, name, fullPage = false) {
  // No hover effects in the pictures; let transitions and the toast animation settle.
  await page.mouse.move(1, 1);
  await page.waitForTimeout(250);
  await page.screenshot({ path: resolve(shotsDir, `${name}.png`), fullPage });
}

async function publish(eventType, eventData, eventId) {
  const r = await fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenant_id: 'DEV', event_type: eventType, event_data: eventData, event_id: eventId }),
  });
  const body = await r.text();
  assert(r.status === 202, `publish ${eventType}: HTTP ${r.status} ${body}`);
  return JSON.parse(body);
}

const heading = (page, name) => page.getByRole('heading', { level: 1, name });
const logRow = (page, type) => page.locator('li.log-item', { has: page.locator('.log-type', { hasText: type }) });

async function scrollTo(page, selector, offset = 76) {
  await page.evaluate(([sel, off]) => {
    const el = document.querySelector(sel);
    window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - off);
  }, [selector, offset]);
}

/** Fills the create/edit form. */
async function fillForm(page, { url, description, check = [], uncheck = [] }) {
  const form = page.locator('form.form');
  if (url !== undefined) await form.getByLabel('URL', { exact: true }).fill(url);
  if (description !== undefined) await form.getByRole('textbox', { name: /Description/ }).fill(description);
  for (const ty of check) await form.getByRole('checkbox', { name: new RegExp(`^${ty}\\b`) }).check();
  for (const ty of uncheck) await form.getByRole('checkbox', { name: new RegExp(`^${ty}\\b`) }).uncheck();
}

async function readSecret(page) {
  const field = page.getByLabel('Clé secrète de signature');
  await visible(field);
  return field.inputValue();
}

// ------------------------------------------------------------------------------ journey
await mkdir(shotsDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
});
let exitCode = 0;
try {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  watch(page, 'desktop');
  let firstSecret;
  let secondSecret;

  await step('portal link: token taken from the fragment and removed from the URL', async () => {
    await page.goto(`${base}/#token=${encodeURIComponent(adminToken)}`);
    await visible(heading(page, 'Points de terminaison'));
    assert(!page.url().includes(adminToken), `token still in URL: ${page.url()}`);
    assert(page.url().endsWith('/#/endpoints'), `unexpected URL ${page.url()}`);
    const stored = await page.evaluate(() => sessionStorage.getItem('pp-webhooks-token'));
    assert(stored === adminToken, 'token kept in sessionStorage');
  });

  await step('empty list with a call to action', async () => {
    await visible(page.getByText('Aucun point de terminaison'));
    assert((await page.locator('tr[data-endpoint-id]').count()) === 0, 'no rows');
    await shot(page, '01-list-empty');
  });

  await step('create form: client-side validation', async () => {
    await page.getByRole('link', { name: 'Créer un premier point de terminaison' }).click();
    await visible(heading(page, 'Nouveau point de terminaison'));
    await visible(page.getByRole('checkbox', { name: /^INVOICE_VALIDATED\b/ }));
    assert(await page.getByLabel('URL', { exact: true }).evaluate((el) => el === document.activeElement), 'focus on the URL field');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await visible(page.getByText('Saisissez l’URL du point de terminaison.'));
    await visible(page.getByText('Cochez au moins un type d’événement.'));
    assert(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid') === 'true', 'URL marked invalid');
    await fillForm(page, { url: 'ftp://example.com/hook' });
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await visible(page.getByText('Saisissez une URL complète commençant par https:// ou http://.'));
  });

  await step('create form: server-side problem shown next to the URL field', async () => {
    // Passes the client-side check (http(s), has a host) but the server refuses credentials.
    await fillForm(page, { url: 'https://user:secret@example.com/hook', check: ['INVOICE_VALIDATED'] });
    await allowing([/status of 400/], async () => {
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      const err = page.locator('.field', { has: page.getByLabel('URL', { exact: true }) }).locator('.field-error');
      await visible(err);
      const text = await err.textContent();
      assert(/identifiants/.test(text), `server message (in French) next to URL: ${text}`);
      const described = await page.getByLabel('URL', { exact: true }).getAttribute('aria-describedby');
      assert(described.includes(await err.getAttribute('id')), 'error linked with aria-describedby');
    });
  });

  await step('create an endpoint with two event types', async () => {
    await fillForm(page, { url: `${base}/dev/receiver`, description: 'ERP Peopulse — factures et contrats', check: ['INVOICE_VALIDATED', 'CONTRACT_CREATED'] });
    await page.locator('.field-error:not([hidden])').first().waitFor({ state: 'attached', timeout: 1000 }).catch(() => {});
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, '02-create-form');
    // Each type's contract: its fields, with what they mean.
    await page.getByRole('button', { name: 'Voir le contenu de INVOICE_VALIDATED' }).click();
    const contract = page.getByTestId('contract-dialog');
    await visible(contract);
    await visible(contract.getByText('Numéro de facture'));
    await visible(contract.locator('tr', { hasText: 'invoice_id' }).getByText('obligatoire'));
    await shot(page, '16-contract');
    await contract.getByRole('button', { name: 'Fermer' }).last().click();
    await hidden(contract);
    await page.getByRole('button', { name: 'Enregistrer' }).click();
  });

  await step('secret shown once, with copy button and warning', async () => {
    await visible(heading(page, 'Point de terminaison enregistré'));
    firstSecret = await readSecret(page);
    assert(firstSecret.startsWith('whsec_'), `secret ${firstSecret}`);
    await visible(page.getByText('Notez cette clé maintenant'));
    await shot(page, '03-secret');
    await page.getByRole('button', { name: 'Copier' }).click();
    await visible(page.getByRole('button', { name: 'Copié' }));
    assert(!page.url().includes(firstSecret), 'secret not in URL');
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    assert(!stored.includes(firstSecret), 'secret not in storage');
  });

  await step('leaving the secret screen loses the secret', async () => {
    await page.getByRole('link', { name: 'Retour à la liste' }).click();
    await visible(heading(page, 'Points de terminaison'));
    await page.goBack();
    await visible(heading(page, 'Clé secrète indisponible'));
    const still = await page.evaluate((sec) => document.body.innerText.includes(sec) || [...document.querySelectorAll('input')].some((i) => i.value === sec), firstSecret);
    assert(!still, 'secret gone from the page');
    await page.goForward();
    await visible(heading(page, 'Points de terminaison'));
  });

  await step('list shows the endpoint with zero counters', async () => {
    const row = page.locator('tr[data-endpoint-id]');
    await visible(row);
    assert((await row.count()) === 1, 'one row');
    await visible(row.getByRole('link', { name: `${base}/dev/receiver` }));
    await visible(row.getByText('ERP Peopulse — factures et contrats'));
    await visible(row.getByText('INVOICE_VALIDATED'));
    await visible(row.getByText('CONTRACT_CREATED'));
    await visible(row.getByText('Actif'));
    const nums = await row.locator('td.num').allTextContents();
    assert(nums.length === 4 && nums.every((n) => n.trim() === '0'), `counters ${nums}`);
    await shot(page, '04-list');
  });

  await step('published event is delivered and shown in the log with its attempt', async () => {
    await publish('INVOICE_VALIDATED', { invoice_id: 'FA-2026-001234', amount_excl_tax: 1850.4, currency: 'EUR' });
    await publish('CONTRACT_CREATED', { contract_id: 'CT-2026-000123', worker_id: 'INT-4521', start_date: '2026-12-01' });
    await page.getByRole('link', { name: `${base}/dev/receiver` }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    const row = logRow(page, 'INVOICE_VALIDATED');
    await until('INVOICE_VALIDATED delivered', async () => (await row.getAttribute('data-status')) === 'delivered');
    await visible(logRow(page, 'CONTRACT_CREATED').locator('.badge-delivered'));
    await visible(row.getByText('1 tentative'));
    // Counters and chart follow (the page refreshes itself; the button forces it).
    await page.getByRole('button', { name: 'Actualiser', exact: true }).click();
    await until('delivered counter = 2', async () => (await page.locator('[data-counter=delivered]').textContent()) === '2');
    await visible(page.locator('.chart svg rect.c-ok'));
    await scrollTo(page, '.counters');
    await shot(page, '05-detail');
    await row.getByRole('button', { name: /INVOICE_VALIDATED.*tentatives/ }).click();
    const attempts = row.locator('.attempts-table tbody tr[data-attempt]');
    await visible(attempts.first());
    assert((await attempts.count()) === 1, 'one attempt');
    await visible(attempts.first().getByText('HTTP 200'));
    assert(await row.locator('.log-toggle').getAttribute('aria-expanded') === 'true', 'aria-expanded');
  });

  await step('payload dialog: pretty JSON, copy, focus in and back', async () => {
    const row = logRow(page, 'INVOICE_VALIDATED');
    const btn = row.getByRole('button', { name: 'Payload du message INVOICE_VALIDATED' });
    await btn.click();
    const dialog = page.getByRole('dialog');
    await visible(dialog);
    const json = dialog.locator('pre.json');
    await visible(json);
    const text = await json.textContent();
    assert(text.includes('"invoice_id": "FA-2026-001234"'), `payload shows the invoice id: ${text}`);
    assert(text.includes('\n  "event_type": "INVOICE_VALIDATED"'), 'pretty-printed');
    await visible(dialog.getByTestId('contract-fields').getByText('Montant hors taxes', { exact: false }));
    assert(await dialog.evaluate((d) => d.contains(document.activeElement)), 'focus moved into the dialog');
    await dialog.getByRole('button', { name: 'Copier le JSON' }).click();
    await visible(dialog.getByRole('button', { name: 'Copié' }));
    await shot(page, '07-payload');
    await page.keyboard.press('Escape');
    await hidden(dialog);
    assert(await btn.evaluate((b) => b === document.activeElement), 'focus back on the Payload button');
  });

  let failingUrl;
  await step('second endpoint to a failing receiver: 5 attempts then failed', async () => {
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await visible(heading(page, 'Points de terminaison'));
    await page.getByRole('link', { name: 'Ajouter un point de terminaison' }).click();
    await visible(heading(page, 'Nouveau point de terminaison'));
    failingUrl = `${base}/dev/receiver?status=500`;
    await fillForm(page, { url: failingUrl, description: 'Recette — répond toujours 500', check: ['INVOICE_VALIDATED'] });
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await visible(heading(page, 'Point de terminaison enregistré'));
    assert((await readSecret(page)).startsWith('whsec_'), 'second secret');
    await page.getByRole('link', { name: 'Voir le point de terminaison' }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    await visible(page.getByText('Aucun message pour l’instant', { exact: false }));
    await publish('INVOICE_VALIDATED', { invoice_id: 'FA-2026-001235' });
    await page.getByRole('button', { name: 'Actualiser', exact: true }).click();
    const row = logRow(page, 'INVOICE_VALIDATED');
    await visible(row);
    await until('message failed after 5 attempts', async () => (await row.getAttribute('data-status')) === 'failed' && (await row.locator('.log-count').textContent()).startsWith('5 tentatives'));
    await row.locator('.log-toggle').click();
    const attempts = row.locator('.attempts-table tbody tr[data-attempt]');
    await until('5 attempt rows', async () => (await attempts.count()) === 5);
    assert((await row.locator('.attempts-table').getByText('HTTP 500').count()) === 5, 'HTTP 500 on each attempt');
    // The last failure in plain words, from its status code.
    const why = row.getByTestId('failure-explained');
    assert((await why.count()) === 1, 'one explanation, under the last attempt');
    assert((await why.textContent()).startsWith('Votre serveur a rencontré une erreur interne'), 'a 5xx explained');
    await until('failed counters', async () => (await page.locator('[data-counter=failed_messages]').textContent()) === '1');
  });

  await step('replay the failed message: back to pending, attempts continue', async () => {
    const row = logRow(page, 'INVOICE_VALIDATED');
    await row.getByRole('button', { name: 'Rejouer le message INVOICE_VALIDATED' }).click();
    await visible(page.getByText('Message remis en livraison.'));
    // Either caught pending, or already past it with more attempts.
    await until('attempts continue after replay', async () => {
      const count = parseInt(await row.locator('.log-count').textContent(), 10);
      return count > 5;
    });
    await until('failed again after the new series (10 attempts)', async () => (await row.getAttribute('data-status')) === 'failed' && parseInt(await row.locator('.log-count').textContent(), 10) === 10);
    await visible(row.locator('.series-sep'));
    await until('10 attempt rows', async () => (await row.locator('.attempts-table tbody tr[data-attempt]').count()) === 10);
    await scrollTo(page, '.log-panel');
    await shot(page, '06-attempts');
  });

  await step('filter the log by status', async () => {
    const filter = page.getByLabel('Statut', { exact: true });
    await filter.selectOption('delivered');
    await visible(page.getByText('Aucun message avec ce statut.'));
    await filter.selectOption('failed');
    await visible(logRow(page, 'INVOICE_VALIDATED').locator('.badge-failed'));
    await filter.selectOption('');
    await visible(logRow(page, 'INVOICE_VALIDATED'));
  });

  await step('recover failed messages since a date', async () => {
    await page.getByText('Récupérer les messages en échec…').click();
    await page.getByLabel('Rejouer tous les messages en échec depuis le').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Récupérer', exact: true }).click();
    await visible(page.locator('.recover-form').getByText('1 message remis en livraison.'));
    const row = logRow(page, 'INVOICE_VALIDATED');
    await until('third series of attempts', async () => parseInt(await row.locator('.log-count').textContent(), 10) > 10);
  });

  await step('phone width: list and detail are readable', async () => {
    const phone = await browser.newContext({ viewport: PHONE, locale: 'fr-FR', timezoneId: 'Europe/Paris', isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
    const p = await phone.newPage();
    p.setDefaultTimeout(WAIT);
    watch(p, 'phone');
    await p.goto(`${base}/#token=${encodeURIComponent(adminToken)}`);
    await visible(heading(p, 'Points de terminaison'));
    await until('two endpoints', async () => (await p.locator('tr[data-endpoint-id]').count()) === 2);
    const overflow = await p.evaluate((w) => document.documentElement.scrollWidth - w, PHONE.width);
    assert(overflow <= 0, `no horizontal scrolling at 375 px (overflow ${overflow}px)`);
    await shot(p, '09-phone-list');
    await p.getByRole('link', { name: failingUrl }).click();
    await visible(p.getByRole('heading', { name: 'Journal des livraisons' }));
    await logRow(p, 'INVOICE_VALIDATED').locator('.log-toggle').click();
    await visible(logRow(p, 'INVOICE_VALIDATED').locator('.attempts-table'));
    const overflow2 = await p.evaluate((w) => document.documentElement.scrollWidth - w, PHONE.width);
    assert(overflow2 <= 0, `detail: no horizontal scrolling at 375 px (overflow ${overflow2}px)`);
    await scrollTo(p, '.log-panel');
    await shot(p, '10-phone-detail');
    await phone.close();
  });

  await step('send a test event: it appears in the log and is delivered', async () => {
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await page.getByRole('link', { name: `${base}/dev/receiver`, exact: true }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    // INVOICE_VALIDATED ×2 (the second one also went to the failing endpoint) + CONTRACT_CREATED.
    await until('three messages in the log', async () => (await page.locator('li.log-item').count()) === 3);
    const before = 3;
    await page.getByRole('button', { name: 'Envoyer un événement de test' }).click();
    await visible(page.getByText('Événement de test envoyé', { exact: false }));
    await until('a new message in the log', async () => (await page.locator('li.log-item').count()) === before + 1);
    const newest = page.locator('li.log-item').first();
    await until('test message delivered', async () => (await newest.getAttribute('data-status')) === 'delivered');
  });

  await step('log pagination: load more with next_cursor', async () => {
    for (let i = 1; i <= 20; i += 1) await publish('CONTRACT_CREATED', { contract_id: `CT-2026-${String(i).padStart(6, '0')}` });
    await page.reload();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    await until('first page of 20', async () => (await page.locator('li.log-item').count()) === 20);
    const more = page.getByRole('button', { name: 'Charger plus' });
    await visible(more);
    await more.click();
    await until('24 messages after load more', async () => (await page.locator('li.log-item').count()) === 24);
    await hidden(more);
    const ids = await page.locator('li.log-item').evaluateAll((els) => els.map((e) => e.dataset.messageId));
    assert(new Set(ids).size === 24, 'no duplicates');
  });

  await step('rotate the secret: confirmation, then the new secret shown once', async () => {
    await page.getByRole('button', { name: 'Renouveler la clé secrète' }).click();
    const dialog = page.getByRole('alertdialog');
    await visible(dialog);
    assert(await dialog.getByRole('button', { name: 'Annuler' }).evaluate((b) => b === document.activeElement), 'focus on Cancel');
    await dialog.getByRole('button', { name: 'Renouveler', exact: true }).click();
    await visible(heading(page, 'Nouvelle clé secrète'));
    secondSecret = await readSecret(page);
    assert(secondSecret.startsWith('whsec_') && secondSecret !== firstSecret, 'a new secret');
    await visible(page.getByText('pendant 24 heures', { exact: false }));
    await page.goBack();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    await page.goForward();
    await visible(heading(page, 'Clé secrète indisponible'));
    await page.getByRole('link', { name: 'Voir le point de terminaison' }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
  });

  await step('edit: description, event types, disable', async () => {
    await page.getByRole('link', { name: 'Modifier', exact: true }).click();
    await visible(heading(page, 'Modifier le point de terminaison'));
    const url = page.getByLabel('URL', { exact: true });
    assert((await url.inputValue()) === `${base}/dev/receiver`, 'URL prefilled');
    assert(await page.getByRole('checkbox', { name: /^CONTRACT_CREATED\b/ }).isChecked(), 'types prefilled');
    await fillForm(page, { description: 'ERP Peopulse — factures uniquement', check: ['INVOICE_PAID'], uncheck: ['CONTRACT_CREATED'] });
    await page.getByRole('checkbox', { name: /Point de terminaison actif/ }).uncheck();
    await page.evaluate(() => document.getElementById('toasts').replaceChildren()); // earlier confirmations
    await scrollTo(page, '.type-group:has(input[value=INVOICE_PAID])', 100); // the invoice types, the enabled switch and Save
    await shot(page, '08-edit');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    await visible(page.getByText('Modifications enregistrées.'));
    await visible(page.locator('.page-intro').getByText('ERP Peopulse — factures uniquement'));
    await visible(page.locator('.title-row .badge-disabled'));
    await visible(page.getByText('Ce point de terminaison est désactivé', { exact: false }));
    const chipsText = await page.locator('.dl .chips').textContent();
    assert(chipsText.includes('INVOICE_PAID') && chipsText.includes('INVOICE_VALIDATED') && !chipsText.includes('CONTRACT_CREATED'), `types ${chipsText}`);
    // Enable again from the detail page.
    await page.getByRole('button', { name: 'Activer' }).click();
    await visible(page.locator('.title-row .badge-enabled'));
  });

  await step('filter built, tested against the examples and saved; a header added, its value never shown again', async () => {
    await page.getByRole('link', { name: 'Modifier', exact: true }).click();
    await visible(heading(page, 'Modifier le point de terminaison'));
    const section = page.getByTestId('filter-section');
    await section.getByLabel('Champ').selectOption('invoice_id');
    await section.getByLabel('Condition').selectOption('eq');
    await section.getByLabel('Valeur').fill('FA-0');
    await section.getByRole('button', { name: 'Ajouter la condition' }).click();
    const text = page.getByRole('textbox', { name: 'Filtre' });
    assert((await text.inputValue()) === 'event_data.invoice_id == "FA-0"', `built: ${await text.inputValue()}`);
    await section.getByRole('button', { name: 'Tester avec l’exemple' }).click();
    await visible(section.getByText('INVOICE_PAID : l’exemple ne serait pas envoyé.'));
    await text.fill('');
    await section.getByLabel('Condition').selectOption('contains');
    await section.getByLabel('Valeur').fill('FA-');
    await section.getByRole('button', { name: 'Ajouter la condition' }).click();
    await section.getByRole('button', { name: 'Tester avec l’exemple' }).click();
    await visible(section.getByText('INVOICE_PAID : l’exemple serait envoyé.'));
    await visible(section.getByText('INVOICE_VALIDATED : l’exemple serait envoyé.'));
    const headers = page.getByTestId('headers-editor');
    await headers.getByRole('button', { name: '+ Ajouter un en-tête' }).click();
    await headers.getByLabel('Nom de l’en-tête').fill('x-api-key');
    await headers.getByLabel('Valeur').fill('cle-secrete-erp');
    await page.evaluate(() => document.getElementById('toasts').replaceChildren());
    await scrollTo(page, '[data-testid=filter-section]', 90);
    await shot(page, '15-filter');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    await visible(page.locator('.dl .chips').getByText('x-api-key'));
    await page.getByRole('link', { name: 'Modifier', exact: true }).click();
    await visible(heading(page, 'Modifier le point de terminaison'));
    assert((await page.getByRole('textbox', { name: 'Filtre' }).inputValue()) === 'event_data.invoice_id.contains("FA-")', 'filter saved');
    const value = page.getByTestId('headers-editor').getByLabel('Valeur');
    assert((await value.inputValue()) === '', 'a saved value is never shown again');
    assert((await value.getAttribute('placeholder')) === '•••• (inchangée)', 'kept as it is');
    assert(!(await page.content()).includes('cle-secrete-erp'), 'not in the page at all');
    await page.getByRole('link', { name: 'Annuler' }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
  });

  await step('find an event by its id: each endpoint\'s status, a link into its log', async () => {
    await publish('INVOICE_VALIDATED', { invoice_id: 'FA-2026-001234' }, 'FA-2026-001234');
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await visible(heading(page, 'Points de terminaison'));
    // The failing endpoint (every attempt failed for over the window, 1 s here) is flagged.
    await until('failing badge in the list', async () => {
      await page.reload();
      await visible(heading(page, 'Points de terminaison'));
      return (await page.getByTestId('failing-badge').count()) === 1;
    });
    await shot(page, '13-failing');
    await page.getByLabel('Rechercher un événement par identifiant').fill('FA-2026-001234');
    await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await visible(heading(page, 'Événement FA-2026-001234'));
    const result = page.getByTestId('search-result');
    await visible(result);
    assert((await result.locator('tbody tr').count()) === 2, 'sent to both endpoints');
    await until('delivered to the first, failed at the second', async () => {
      await page.reload();
      await visible(result);
      return (await result.locator('.badge-delivered').count()) === 1 && (await result.locator('.badge-failed').count()) === 1;
    });
    await visible(result.getByText('Dernière réponse : HTTP 500'));
    await shot(page, '11-search');
    await result.getByRole('link', { name: failingUrl }).click();
    await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
    await visible(page.getByTestId('disable-in'));
    await until('the failing note names the last error', async () => (await page.getByTestId('last-error').textContent()).includes('HTTP 500'));
    assert((await page.getByTestId('disable-in').textContent()).startsWith('Désactivation automatique dans 4 j'), 'time left before disabling');
    await until('the message is expanded in the log', async () => (await page.locator('li.log-item.is-open').count()) === 1);
    await page.goBack();
    await allowing([/status of 404/], async () => {
      await page.getByLabel('Rechercher un événement par identifiant').fill('FA-inconnue');
      await page.getByRole('button', { name: 'Rechercher', exact: true }).click();
      await visible(page.getByTestId('search-none'));
    });
  });

  await step('recent failures across endpoints, and replay all shown', async () => {
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await page.getByRole('link', { name: 'Échecs récents' }).click();
    await visible(heading(page, 'Échecs récents'));
    const list = page.getByTestId('failed-list');
    await visible(list);
    assert((await list.locator('tbody tr').count()) >= 1, 'at least one failure');
    await shot(page, '12-failures');
    await page.getByRole('button', { name: 'Rejouer tous les messages affichés' }).click();
    await visible(page.getByText('remis en livraison', { exact: false }));
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await visible(heading(page, 'Points de terminaison'));
  });

  await step('notification settings: a bad address named, saved, a disabled endpoint mailed', async () => {
    await page.getByRole('link', { name: 'Notifications' }).click();
    await visible(heading(page, 'Notifications'));
    await visible(page.getByTestId('notification-history-none'));
    const recipients = page.getByLabel('Destinataires');
    await allowing([/status of 400/], async () => {
      await recipients.fill('ops@agence.example\npas-une-adresse');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await visible(page.getByText('Adresse(s) invalide(s) : pas-une-adresse'));
    });
    await recipients.fill('ops@agence.example\ndsi@agence.example');
    await page.getByLabel('Point de terminaison désactivé', { exact: false }).check();
    await page.getByLabel('Point de terminaison en échec', { exact: false }).check();
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await visible(page.getByText('Paramètres de notification enregistrés.'));
    // An admin disables an endpoint: the mail (logged, no SMTP server here) shows in the history.
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await page.getByRole('link', { name: failingUrl, exact: true }).click();
    await page.getByRole('button', { name: 'Désactiver' }).click();
    await visible(page.locator('.title-row .badge-disabled'));
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await page.getByRole('link', { name: 'Notifications' }).click();
    await until('the mail is in the history', async () => {
      await page.reload();
      await visible(heading(page, 'Notifications'));
      return (await page.getByTestId('notification-history').count()) === 1;
    });
    const row = page.getByTestId('notification-history').locator('tbody tr').first();
    await visible(row.getByText('Journalisé'));
    await visible(row.getByText('désactivé', { exact: false }));
    assert((await page.getByLabel('Destinataires').inputValue()) === 'ops@agence.example\ndsi@agence.example', 'settings kept');
    await shot(page, '14-notifications', true);
    await page.getByRole('navigation', { name: 'Fil d’Ariane' }).getByRole('link', { name: 'Points de terminaison' }).click();
    await visible(heading(page, 'Points de terminaison'));
  });

  await step('delete with confirmation (both endpoints): list empty again', async () => {
    for (const url of [`${base}/dev/receiver`, failingUrl]) {
      if (!(await page.getByRole('heading', { name: 'Journal des livraisons' }).isVisible())) {
        await page.getByRole('link', { name: url, exact: true }).click();
        await visible(page.getByRole('heading', { name: 'Journal des livraisons' }));
      }
      await page.getByRole('button', { name: 'Supprimer', exact: true }).click();
      const dialog = page.getByRole('alertdialog');
      await visible(dialog);
      await dialog.getByRole('button', { name: 'Annuler' }).click();
      await hidden(dialog);
      await page.getByRole('button', { name: 'Supprimer', exact: true }).click();
      await visible(dialog);
      await visible(dialog.getByText(url, { exact: false }));
      await dialog.getByRole('button', { name: 'Supprimer définitivement' }).click();
      await visible(heading(page, 'Points de terminaison'));
      await visible(page.getByText('Point de terminaison supprimé.').first());
    }
    await visible(page.getByText('Aucun point de terminaison'));
  });

  await step('language switch (kept across reloads) and 404 page', async () => {
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await visible(heading(page, 'Endpoints'));
    await visible(page.getByText('No endpoints yet'));
    await page.reload();
    await visible(heading(page, 'Endpoints'));
    await allowing([/status of 404/], async () => {
      await page.goto(`${base}/#/endpoints/ep_01DOESNOTEXIST0000000000000`);
      await visible(heading(page, 'This endpoint does not exist or was deleted.'));
      await page.getByRole('button', { name: 'Passer en français' }).click();
      await visible(heading(page, 'Ce point de terminaison n’existe pas ou a été supprimé.'));
    });
    await page.getByRole('link', { name: 'Retour à la liste' }).click();
    await visible(heading(page, 'Points de terminaison'));
  });

  await step('token screen: sign out, rejected token, pasted token', async () => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await visible(heading(page, 'Accès à la gestion des Webhooks'));
    assert((await page.evaluate(() => sessionStorage.getItem('pp-webhooks-token'))) === null, 'token forgotten');
    await allowing([/status of 401/], async () => {
      await page.getByLabel('Jeton d’accès').fill('not-a-valid-token-0000000000');
      await page.getByRole('button', { name: 'Continuer' }).click();
      await visible(page.getByText('Ce jeton a été refusé', { exact: false }));
    });
    await page.getByLabel('Jeton d’accès').fill(adminToken);
    await page.getByRole('button', { name: 'Continuer' }).click();
    await visible(heading(page, 'Points de terminaison'));
    assert(!page.url().includes(adminToken), 'token never in the URL');
  });

  await context.close();
  console.log(`# journey passed: ${passed} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${shotsDir}`);
  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  if (problems.length) console.error(problems.join('\n'));
  console.error(`# journey FAILED at step ${stepNo}: ${e && e.message ? e.message : e}`);
  console.log(`${passed} passed, 1 failed`);
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);

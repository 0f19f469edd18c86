// The pages work with JavaScript switched off: sign in, a step refused
// and then taken, a letter with a mistake fixed and previewed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, startBrowser, shot, signIn, fillDate } from './helpers.mjs'

test('with JavaScript off, an officer signs in, takes a pack step and previews a letter', { timeout: 240000 }, async () => {
  const server = await startServer()
  const b = await startBrowser({ javaScript: false })
  try {
    const { page } = b
    await signIn(page, server.url)
    assert.match(page.url(), /\/packs$/)
    // (axe-core needs scripts: the other tests check these pages with it.)
    assert.equal(await page.locator('body.govuk-frontend-supported').count(), 0, 'GOV.UK Frontend did not run')

    await page.goto(server.url + '/packs/new')
    await page.check('#kind-4') // face-to-face routing
    await page.click('button:has-text("Continue")')
    await page.fill('#pack-name', 'sr-3333333')
    await fillDate(page, 'step-date', '2026-03-02')
    await page.fill('#reference', '3333 4444 5555')
    await page.click('button:has-text("Record this step")')
    const summary = (await page.locator('.govuk-error-summary__list a').allTextContents()).map((t) => t.trim())
    assert.ok(summary.some((t) => t.startsWith('region (Region (of the court, or of the visit)) is required: this step needs it')), summary.join('\n'))
    assert.equal(await page.inputValue('#reference'), '3333 4444 5555', 'the answers are kept')
    await shot(page, 'no-js-pack-refused')

    await page.goto(server.url + '/letters/new/CMSL5503')
    await fillDate(page, 'date', '2026-03-02')
    await page.fill('#reference', '3333 4444 5555')
    await page.fill('#recipient-name', 'Mr Sam Jones')
    await page.fill('#recipient-address', '4 Mill Lane\nOxford')
    await page.fill('#recipient-postcode', 'OX1 2AB')
    await fillDate(page, 'fields-meeting-date', '2026-03-20')
    await page.fill('#fields-meeting-time', '25:00')
    await page.fill('#fields-meeting-location', 'Jobcentre Plus, 2 St Aldates, Oxford OX1 1DE')
    await page.click('button:has-text("Preview the letter")')
    assert.match(await page.textContent('.govuk-error-summary__list'), /fields\.meeting-time: /)
    await page.fill('#fields-meeting-time', '09:00')
    await page.click('button:has-text("Preview the letter")')
    assert.match(await page.textContent('#preview'), /Your face to face meeting with us has been cancelled/)
    await shot(page, 'no-js-letter-preview')
    assert.deepEqual(b.problems, [])
  } finally {
    await b.stop()
    await server.stop()
  }
})

// A caseworker fills in a CMSL5502 with a deliberate mistake, sees every
// problem at once in the error summary with the CLI's words, fixes it,
// previews the letter, downloads the PDF, queues it in the outbox and
// cancels it there (a reason is required).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, startBrowser, look, signIn, fillDate, pdfText, bin } from './helpers.mjs'

/** The CLI's message for the same mistake: `letterkit render` on the same request. */
function cliMessages (request) {
  const dir = mkdtempSync(join(tmpdir(), 'letterkit-cli-'))
  writeFileSync(join(dir, 'request.json'), JSON.stringify(request, null, 1))
  try {
    execFileSync(bin, ['render', join(dir, 'request.json'), '--out', join(dir, 'x.pdf')], { stdio: 'pipe' })
    return []
  } catch (e) {
    // request.json:L:C: path: message; the page shows `path: message`
    return e.stderr.toString().split('\n').filter((l) => l.startsWith(join(dir, 'request.json')) || l.startsWith('request.json'))
      .map((l) => l.replace(/^.*?request\.json:\d+:\d+: /, ''))
  }
}

test('a CMSL5502 with a mistake, fixed, previewed, downloaded, queued and cancelled', { timeout: 240000 }, async () => {
  const server = await startServer({ now: '2026-03-02T10:00' })
  const b = await startBrowser()
  try {
    const { page } = b
    await signIn(page, server.url)
    await page.click('nav a[href="/letters"]')
    await look(page, 'letters')
    await page.click('a:has-text("CMSL5502")')
    await look(page, 'letter-form-cmsl5502')

    // The reasons as radios, with the wording each puts in the letter.
    assert.match(await page.textContent('label[for="fields-reason-5"]'), /Payments/)
    assert.match(await page.textContent('#fields-reason-5-item-hint'), /Child maintenance payments made in your case/)
    assert.match(await page.textContent('#recipient-address-hint'), /3 to 7 lines in all/)
    assert.match(await page.textContent('label[for="optional"]'), /bring someone/i)

    // A deliberate mistake: 30 February, and no reason chosen.
    await fillDate(page, 'date', '2026-03-02')
    await page.fill('#reference', '1234 5678 9012')
    await page.fill('#recipient-name', 'Ms Priya Patel')
    await page.fill('#recipient-address', 'Flat 3\n14 Church Lane\nHeadingley\nLeeds')
    await page.fill('#recipient-postcode', 'LS6 1AB')
    await page.check('#fields-changed-by')
    await page.fill('#fields-meeting-date-day', '30')
    await page.fill('#fields-meeting-date-month', '2')
    await page.fill('#fields-meeting-date-year', '2026')
    await page.fill('#fields-meeting-time', '10:30')
    await page.fill('#fields-meeting-location', 'Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ')
    await page.click('button:has-text("Preview the letter")')

    const links = await page.$$eval('.govuk-error-summary__list a', (as) => as.map((a) => [a.getAttribute('href'), a.textContent.trim()]))
    const cli = cliMessages({
      letter: 'CMSL5502', date: '2026-03-02', reference: '1234 5678 9012',
      recipient: { name: 'Ms Priya Patel', address: ['Flat 3', '14 Church Lane', 'Headingley', 'Leeds'], postcode: 'LS6 1AB' },
      fields: { 'changed-by': 'client', 'meeting-date': '2026-02-30', 'meeting-time': '10:30', 'meeting-location': 'Jobcentre Plus, Crown House, 11 Regent Street, Leeds LS2 7UZ' }
    })
    assert.equal(links.length, 2, JSON.stringify(links))
    assert.deepEqual(links.map(([, t]) => t).sort(), cli.sort(), 'the same texts as the CLI, every problem at once')
    assert.deepEqual(links.map(([h]) => h), ['#fields-meeting-date-day', '#fields-reason'], 'in the order of the form')
    assert.match(await page.textContent('#fields-meeting-date-error'), /fields\.meeting-date: `2026-02-30` is not a date: February 2026 has 28 days/)
    assert.match(await page.title(), /^Error: /)
    await look(page, 'letter-form-errors')
    // The summary's link takes the keyboard to the field.
    await page.click('.govuk-error-summary__list a[href="#fields-meeting-date-day"]')
    assert.equal(await page.evaluate(() => document.activeElement.id), 'fields-meeting-date-day')

    await page.fill('#fields-meeting-date-day', '16')
    await page.fill('#fields-meeting-date-month', '3')
    await page.check('#fields-reason-5')
    await page.check('#optional')
    await page.click('button:has-text("Preview the letter")')
    assert.match(page.url(), /\/letters\/drafts\/[0-9a-f]{32}$/, 'no personal data in the URL')
    const preview = await page.textContent('#preview')
    assert.match(preview, /Your face to face meeting details have changed/)
    assert.match(preview, /Child maintenance payments made in your case/)
    assert.match(preview, /You can bring a friend, relative or someone else you trust/)
    await look(page, 'letter-preview')

    // The PDF, as printed.
    const dir = mkdtempSync(join(tmpdir(), 'letterkit-dl-'))
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-pdf')])
    await dl.saveAs(join(dir, 'letter.pdf'))
    assert.equal(dl.suggestedFilename(), 'CMSL5502.pdf')
    const text = pdfText(execFileSync('cat', [join(dir, 'letter.pdf')]))
    assert.ok(text.includes('Monday 16 March 2026') && text.includes('Ms Priya Patel'), 'the PDF has the answers')

    // Queue it, then cancel it in the outbox.
    assert.equal(await page.isChecked('#postage-2'), true, 'second class, the letter\'s usual one, is selected')
    await page.check('#postage') // first class
    await page.click('button:has-text("Queue it in the outbox")')
    assert.match(page.url(), /\/outbox$/)
    const banner = await page.textContent('.govuk-notification-banner')
    const id = banner.match(/queued as (lk-[0-9a-f]+)/)[1]
    assert.match(banner, /for the transmission of Monday 2 March 2026; it may be cancelled until 17:30 on Monday 2 March 2026/)
    assert.match(await page.textContent('#cutoff'), /7 hours 30 minutes left/)
    assert.match((await page.textContent('#state-queued')).replace(/\s+/g, ' '), new RegExp(`${id} CMSL5502 2 first`))
    await look(page, 'outbox-queued')

    await page.click(`a[href="/outbox/letters/${id}/cancel"]`)
    await page.click('button:has-text("Cancel the letter")')
    assert.equal((await page.textContent('.govuk-error-summary__list a')).trim(), 'Enter the reason: the history keeps it')
    await look(page, 'outbox-cancel-error')
    await page.fill('#reason', 'Sent in error: the meeting was not moved')
    await page.click('button:has-text("Cancel the letter")')
    assert.match(await page.textContent('.govuk-notification-banner'), new RegExp(`Letter ${id} cancelled`))
    assert.match(await page.textContent('#state-cancelled'), new RegExp(id))
    await look(page, 'outbox-cancelled')

    await page.click(`#state-cancelled a[href="/outbox/letters/${id}"]`)
    const history = await page.textContent('table')
    assert.match(history, /j\.officer\s+cancelled\s+Sent in error/)
    await look(page, 'outbox-letter')

    const audit = server.audit()
    assert.match(audit, /"action":"letter-preview","target":"CMSL5502","outcome":"refused"/)
    assert.match(audit, /"action":"letter-preview","target":"CMSL5502","outcome":"ok"/)
    assert.match(audit, new RegExp(`"action":"letter-queue","target":"${id}","outcome":"ok"`))
    assert.match(audit, new RegExp(`"action":"outbox-cancel","target":"${id}","outcome":"ok"`))
    for (const secret of ['Priya', 'Church Lane', 'LS6 1AB', '1234 5678 9012', 'Sent in error']) {
      assert.ok(!audit.includes(secret) && !server.log().includes(secret), `no personal data in the logs: ${secret}`)
    }
    assert.deepEqual(b.problems, [])
  } finally {
    await b.stop()
    await server.stop()
  }
})

// Refusals: no session, a wrong CSRF token, an upload named with `../`,
// an upload that is not a PDF, PNG or JPEG whatever its name says.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startServer, startBrowser, look, signIn, fillDate, samplePdf } from './helpers.mjs'

test('requests without a session or with a wrong CSRF token are refused; bad uploads are refused', { timeout: 240000 }, async () => {
  const server = await startServer()
  const b = await startBrowser()
  try {
    const { page } = b
    // No session: pages redirect to sign-in, a form post is refused.
    let r = await fetch(server.url + '/outbox', { redirect: 'manual' })
    assert.equal(r.status, 303)
    assert.equal(r.headers.get('location'), '/sign-in')
    r = await fetch(server.url + '/letters/new/CMSL5502', { method: 'POST', body: new URLSearchParams({ csrf: 'x' }) })
    assert.equal(r.status, 401)
    assert.match(await r.text(), /You are not signed in, or your session has ended, so nothing was done/)

    await signIn(page, server.url)
    // A wrong CSRF token, with the officer's own cookie: refused, nothing done.
    const form = new URLSearchParams({ csrf: 'not-the-token', 'date-day': '2' })
    r = await page.request.post(server.url + '/letters/new/CMSL5502', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: form.toString(), maxRedirects: 0
    })
    assert.equal(r.status(), 403)
    assert.match(await r.text(), /The form was not sent from this service(&#x27;|')s page, or it is out of date/)
    r = await page.request.post(server.url + '/packs/new/commitment', {
      multipart: { csrf: 'not-the-token', 'pack-name': 'sr-1', 'step-date-day': '2', 'step-date-month': '3', 'step-date-year': '2026' },
      maxRedirects: 0
    })
    assert.equal(r.status(), 403)
    assert.deepEqual(readdirSync(join(server.dir, 'packs')), [], 'no pack was made')
    assert.match(server.audit(), /"officer":"j.officer","action":"pack-create","target":null,"outcome":"refused-csrf"/)

    // A county court pack needs an attachment: try a `../` name, then a wrong type.
    await page.goto(server.url + '/packs/new/county-court')
    const csrf = await page.getAttribute('input[name="csrf"]', 'value')
    const fields = {
      csrf, 'pack-name': 'sr-5555555-cc', 'step-date-day': '2', 'step-date-month': '3', 'step-date-year': '2026',
      reference: '1234 5678 9012', region: 'Wales', 'paying-parent-name': 'Mr A Person', court: 'Cardiff County Court',
      'pv-checked-by': 'J Officer', 'pv-result': 'no-marking'
    }
    r = await page.request.post(server.url + '/packs/new/county-court', {
      multipart: { ...fields, attachments: { name: '../../etc/evidence.pdf', mimeType: 'application/pdf', buffer: samplePdf() } },
      maxRedirects: 0
    })
    assert.equal(r.status(), 422)
    const body = await r.text()
    assert.match(body, /attachment 1 of 1 is refused: its file name has a folder or `\.\.` in it; attach the file itself/)
    assert.ok(!body.includes('etc/evidence'), 'the name is not repeated')
    assert.deepEqual(readdirSync(join(server.dir, 'packs')), [], 'no pack was made')

    // A text file named .pdf: the library's check, by content, beside the upload field.
    await page.fill('#pack-name', 'sr-5555555-cc')
    await fillDate(page, 'step-date', '2026-03-02')
    await page.fill('#reference', '1234 5678 9012')
    await page.fill('#region', 'Wales')
    await page.fill('#paying-parent-name', 'Mr A Person')
    await page.fill('#court', 'Cardiff County Court')
    await page.fill('#pv-checked-by', 'J Officer')
    await page.check('#pv-result')
    await page.setInputFiles('#attachments', { name: 'statement.pdf', mimeType: 'application/pdf', buffer: Buffer.from('not a pdf at all') })
    await page.click('button:has-text("Record this step")')
    const message = 'attachment 1 of 1 is not a PDF, PNG or JPEG file (checked by its content, not its name)'
    assert.equal((await page.textContent('.govuk-error-summary__list a')).trim(), message)
    assert.equal(await page.getAttribute('.govuk-error-summary__list a', 'href'), '#attachments')
    assert.match(await page.textContent('#attachments-error'), /is not a PDF, PNG or JPEG file/)
    await look(page, 'pack-upload-refused')
    assert.deepEqual(readdirSync(join(server.dir, 'packs')).filter((f) => f.endsWith('.zip')), [], 'no pack was made')

    // Sent again with a real PDF, it is made.
    await page.setInputFiles('#attachments', { name: 'statement.pdf', mimeType: 'application/pdf', buffer: samplePdf() })
    await page.click('button:has-text("Record this step")')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `create` recorded: 3 files added/)
    assert.deepEqual(b.problems, [])
  } finally {
    await b.stop()
    await server.stop()
  }
})

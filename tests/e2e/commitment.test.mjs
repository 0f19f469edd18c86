// An officer builds a complete commitment pack in the browser: every stage
// of the procedure, a refused step (the CLI's message beside its field),
// an attachment uploaded at the outcome, then downloads the verified pack
// and its court bundle and checks them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, startBrowser, look, signIn, fillDate, pdfText, pdfPages, samplePdf } from './helpers.mjs'

async function takeStep (page, step, date, fill, shot) {
  await page.click(`a:has-text("step ${step}")`)
  await page.waitForSelector('#step-date-day')
  await fillDate(page, 'step-date', date)
  if (fill) await fill()
  if (shot) await look(page, shot)
  await page.click('button:has-text("Record this step")')
}

test('a commitment pack through every stage, with an upload, downloaded and bundled', { timeout: 240000 }, async () => {
  const server = await startServer()
  const b = await startBrowser()
  try {
    const { page } = b
    await signIn(page, server.url)
    await page.click('text=Start a court pack')
    await look(page, 'pack-new-kind')
    await page.click('button:has-text("Continue")')
    assert.equal(await page.textContent('.govuk-error-summary__list a'), 'Select the kind of pack')
    await look(page, 'pack-new-kind-error')
    await page.check('#kind')
    await page.click('button:has-text("Continue")')
    assert.match(page.url(), /\/packs\/new\/commitment$/)

    // The referral (create): every key of the step as a field.
    await page.fill('#pack-name', 'sr-1-2345678')
    await fillDate(page, 'step-date', '2026-03-02')
    await page.fill('#reference', '1234 5678 9012')
    await page.fill('#region', 'North East')
    await page.fill('#sr-number', 'SR-1-2345678')
    await page.fill('#paying-parent-name', 'Mr Sam Taylor')
    await page.fill('#paying-parent-address', '22 Grey Street\nNewcastle upon Tyne')
    await page.fill('#paying-parent-postcode', 'NE1 6AE')
    await page.fill('#court', "Newcastle Magistrates' Court")
    await page.fill('#amount-owed', '2450.00')
    await page.fill('#pv-checked-by', 'J Officer')
    await page.check('#pv-result')
    await page.fill('#referral-notes', 'Liability order made on 12 January 2026; no payments since.')
    await look(page, 'pack-create-commitment')
    await page.click('button:has-text("Record this step")')
    assert.match(page.url(), /\/packs\/sr-1-2345678$/)
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `create` recorded: 3 files added \(3 in the pack\)/)
    await look(page, 'pack-after-create')

    await takeStep(page, 'hearing', '2026-03-09', async () => {
      await page.fill('#cpo-name', 'Alex Morgan')
      await fillDate(page, 'hearing-date', '2026-04-14')
      await page.fill('#hearing-time', '10:00')
      await page.fill('#court-address', 'The Law Courts\nQuayside\nNewcastle upon Tyne')
      await page.fill('#court-postcode', 'NE1 3LA')
    }, 'pack-step-hearing')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `hearing` recorded: 2 files added \(5 in the pack\)/)

    await takeStep(page, 'paying-parent-letter', '2026-03-10')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `paying-parent-letter` recorded: 1 file added/)

    // A refused step: the CLI's words, next to the field they are about.
    await takeStep(page, 'issued', '2026-03-20', async () => {
      await fillDate(page, 'issue-date', '2026-04-15')
    })
    const cliMessage = 'issue-date: the date of issue (2026-04-15) is after the hearing (2026-04-14)'
    assert.equal((await page.textContent('.govuk-error-summary__list a')).trim(), cliMessage)
    assert.equal(await page.getAttribute('.govuk-error-summary__list a', 'href'), '#issue-date-day')
    assert.match(await page.textContent('#issue-date-error'), /the date of issue \(2026-04-15\) is after the hearing/)
    assert.equal(await page.inputValue('#step-date-day'), '20', 'the answers are kept')
    await look(page, 'pack-step-refused')
    await fillDate(page, 'issue-date', '2026-03-19')
    await page.click('button:has-text("Record this step")')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `issued` recorded: 0 files added/)

    await takeStep(page, 'second-pv-check', '2026-04-12', async () => {
      await page.fill('#pv-checked-by', 'J Officer')
      await page.check('#pv-result')
      await page.fill('#payments-since', '0')
      await page.fill('#contact-since', 'None')
    })
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `second-pv-check` recorded: 1 file added/)

    // The outcome with the scanned outcome uploaded.
    const upload = samplePdf()
    await takeStep(page, 'outcome', '2026-04-15', async () => {
      await page.fill('#outcome', 'Suspended committal order')
      await page.setInputFiles('#attachments', { name: 'outcome.pdf', mimeType: 'application/pdf', buffer: upload })
    }, 'pack-step-outcome')
    assert.match(await page.textContent('.govuk-notification-banner'), /Step `outcome` recorded: 1 file added \(8 in the pack\)/)
    await look(page, 'pack-completed')

    // The pack's page: closed, superseded marked, verified.
    const summary = await page.textContent('.govuk-summary-list')
    assert.match(summary, /completed/)
    assert.match(await page.textContent('#verify'), /Verified every file matches the manifest/)
    const rows = await page.$$eval('table.govuk-table tbody tr', (trs) => trs.map((t) => t.innerText.replace(/\s+/g, ' ')))
    assert.ok(rows.some((r) => /^01-CMEL7211-v1\.pdf .*Superseded by 04-CMEL7211-v2\.pdf$/.test(r)), rows.join('\n'))
    assert.ok(rows.some((r) => /08-attachment-1\.pdf \(preview\) Supporting document 1 \(2 pages\) outcome Current/.test(r)), rows.join('\n'))
    assert.match(await page.textContent('main'), /Nothing: the pack is closed/)

    // Preview a document in the browser.
    const preview = await page.request.get(server.url + '/packs/sr-1-2345678/files/04-CMEL7211-v2.pdf')
    assert.equal(preview.headers()['content-type'], 'application/pdf')
    assert.match(preview.headers()['content-disposition'], /^inline/)
    assert.match(pdfText(await preview.body()), /CMEL7211/)

    // Download the pack and its court bundle.
    const dir = mkdtempSync(join(tmpdir(), 'letterkit-dl-'))
    let [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-zip')])
    const zip = join(dir, dl.suggestedFilename())
    await dl.saveAs(zip)
    assert.equal(dl.suggestedFilename(), 'sr-1-2345678.zip')
    const list = execFileSync('unzip', ['-Z1', zip]).toString().split('\n').filter(Boolean)
    assert.deepEqual(list, ['manifest.json', '01-CMEL7211-v1.pdf', '02-pv-check-record-v1.pdf',
      '03-ssst-referral-form-v1.pdf', '04-CMEL7211-v2.pdf', '05-commitment-court-cover-letter-v1.pdf',
      '06-commitment-paying-parent-cover-letter-v1.pdf', '07-pv-check-record-v1.pdf', '08-attachment-1.pdf'])
    const manifest = JSON.parse(execFileSync('unzip', ['-p', zip, 'manifest.json']).toString())
    assert.equal(manifest.status, 'completed')
    assert.deepEqual(manifest.stages.map((s) => s.step), ['create', 'hearing', 'paying-parent-letter', 'issued', 'second-pv-check', 'outcome'])
    // The CLI verifies the downloaded pack.
    const verify = JSON.parse(execFileSync(process.env.LETTERKIT_BIN || join(process.cwd(), 'target/debug/letterkit'), ['pack', 'verify', zip, '--json'], { stdio: 'pipe' }).toString())
    assert.equal(verify.ok, true)

    ;[dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-bundle')])
    const bundlePath = join(dir, 'bundle.pdf')
    await dl.saveAs(bundlePath)
    const bundle = readFileSync(bundlePath)
    const text = pdfText(bundle)
    for (const phrase of ['Bundle page 1 of 5 ', 'Court bundle: index', 'Commitment pack for the case',
      '2 Court summons form (completed) (CMEL7211 version 2)', '4–5 Supporting document 1',
      'Bundle page 5 of 5', 'Your face to face meeting details have changed']) {
      assert.ok(text.includes(phrase), `the bundle has: ${phrase}`)
    }
    assert.ok(!text.includes('Bundle page 6'), 'five pages')
    assert.equal(pdfPages(bundle), 5)
    writeFileSync(join(dir, 'done'), '')

    const audit = server.audit()
    for (const a of ['pack-create', 'pack-step:hearing', 'pack-step:outcome', 'pack-download', 'bundle-download', 'document-preview']) {
      assert.match(audit, new RegExp(`"officer":"j.officer","action":"${a}","target":"sr-1-2345678`), a)
    }
    assert.match(audit, /"action":"pack-step:issued","target":"sr-1-2345678","outcome":"refused"/)
    for (const secret of ['Sam Taylor', 'Grey Street', 'NE1 6AE', '1234 5678 9012', 'Suspended committal', 'outcome.pdf']) {
      assert.ok(!audit.includes(secret) && !server.log().includes(secret), `no personal data in the logs: ${secret}`)
    }
    assert.deepEqual(b.problems, [])
  } finally {
    await b.stop()
    await server.stop()
  }
})

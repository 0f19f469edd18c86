// The outbox pages: the same-day review of a client with two letters,
// suppressing that client (a reason code is required), and reissuing a
// letter once its transmission has gone (closed by the CLI on the same
// outbox).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { startServer, startBrowser, look, signIn, fillDate, bin } from './helpers.mjs'

async function queueLetter (page, url, code, reference, meetingDay, reason) {
  await page.goto(`${url}/letters/new/${code}`)
  await fillDate(page, 'date', '2026-03-02')
  await page.fill('#reference', reference)
  await page.fill('#recipient-name', 'Mr Sam Jones')
  await page.fill('#recipient-address', '4 Mill Lane\nOxford')
  await page.fill('#recipient-postcode', 'OX1 2AB')
  if (code === 'CMSL5502') await page.check('#fields-changed-by')
  await fillDate(page, 'fields-meeting-date', `2026-03-${meetingDay}`)
  await page.fill('#fields-meeting-time', '09:00')
  await page.fill('#fields-meeting-location', 'Jobcentre Plus, 2 St Aldates, Oxford OX1 1DE')
  if (reason) await page.check(reason)
  await page.click('button:has-text("Preview the letter")')
  await page.click('button:has-text("Queue it in the outbox")')
  return (await page.textContent('.govuk-notification-banner')).match(/queued as (lk-[0-9a-f]+)/)[1]
}

test('same-day review, suppress a client, reissue after the transmission', { timeout: 240000 }, async () => {
  const server = await startServer({ now: '2026-03-02T16:00' })
  const b = await startBrowser()
  try {
    const { page } = b
    await signIn(page, server.url)
    const first = await queueLetter(page, server.url, 'CMSL5501', '9876 5432 1098', '16', '#fields-reason')
    const second = await queueLetter(page, server.url, 'CMSL5502', '987654321098', '17', '#fields-reason')
    const other = await queueLetter(page, server.url, 'CMSL5503', '1111 2222 3333', '18')
    assert.match(await page.textContent('#cutoff'), /1 hour 30 minutes left/)
    const review = (await page.textContent('main')).replace(/\s+/g, ' ')
    assert.match(review, /1 client has more than one letter in this transmission/)
    assert.ok(review.includes(`${first} CMSL5501 (queued)`) && review.includes(`${second} CMSL5502 (queued)`), review)
    assert.ok(!review.includes('9876'), 'no reference on the page')
    await look(page, 'outbox-review')

    // Suppress the client of the first letter: both of theirs go.
    await page.click(`a[href="/outbox/letters/${first}/suppress"]`)
    await page.click('button:has-text("Suppress contact")')
    assert.equal((await page.textContent('.govuk-error-summary__list a')).trim(), 'Select why contact is suppressed')
    await look(page, 'outbox-suppress-error')
    await page.check('#reason-3') // safeguarding
    await page.click('button:has-text("Suppress contact")')
    assert.match(await page.textContent('.govuk-notification-banner'), /suppressed \(reason safeguarding\); 2 queued letters suppressed/)
    const suppressed = await page.textContent('#state-suppressed')
    assert.ok(suppressed.includes(first) && suppressed.includes(second))
    assert.ok((await page.textContent('#state-queued')).includes(other))

    // The day closes (the CLI, on the same outbox); the letter may be reissued.
    execFileSync(bin, ['outbox', 'close', '--outbox', join(server.dir, 'outbox.sqlite'), '--day', '2026-03-02',
      '--now', '2026-03-02T18:00', '--by', 'batch-job', '--out', join(server.dir, 'out'), '-q'], { stdio: 'pipe' })
    await page.goto(server.url + '/outbox?day=2026-03-02')
    assert.ok((await page.textContent('#state-transmitted')).includes(other))
    await page.click(`a[href="/outbox/letters/${other}/reissue"]`)
    await fillDate(page, 'date', '2026-03-03')
    await page.fill('#reason', 'Returned: the client has moved')
    await look(page, 'outbox-reissue')
    await page.click('button:has-text("Reissue the letter")')
    const banner = await page.textContent('.govuk-notification-banner')
    assert.match(banner, new RegExp(`Letter ${other} reissued as lk-[0-9a-f]+`))

    const audit = server.audit()
    assert.match(audit, new RegExp(`"action":"outbox-suppress","target":"${first}","outcome":"ok"`))
    assert.match(audit, new RegExp(`"action":"outbox-reissue","target":"${other}","outcome":"ok"`))
    assert.ok(!audit.includes('9876') && !audit.includes('moved'), 'no reference or reason text in the audit log')
    assert.deepEqual(b.problems, [])
  } finally {
    await b.stop()
    await server.stop()
  }
})

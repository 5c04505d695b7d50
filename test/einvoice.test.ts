import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ciiInvoiceXml } from '../src/corpus/einvoice-xml.ts';
import { generateCorpus, type ManifestEntry } from '../src/corpus/generate.ts';
import { type RunningEmulator, startEmulator } from '../src/emulator/server.ts';
import type { EstimateReport } from '../src/main/commands/estimate.ts';
import type { EvalReport } from '../src/main/eval/evaluate.ts';
import { PROJECT_ROOT, runCli, startCli, UNLIMITED } from './helpers/cli.ts';
import { withAttachment } from './helpers/factur-x.ts';
import { readManifest, readRecords } from './helpers/run-fixture.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * E-invoices (issue 27): the exact answer is inside the file. Real Factur-X/ZUGFeRD PDFs and
 * XRechnung/Peppol/UBL files are answered from their XML with no request; hostile XML is bad input.
 */
const EINVOICES = join(PROJECT_ROOT, 'test/fixtures/einvoices');
const work = tempDir('einvoice');
const KEY = { GEMINI_API_KEY: 'test-key', GOOGLE_API_KEY: '' };
let emulator: RunningEmulator;
let good: ManifestEntry[];
const goodDir = join(work, 'generated');

before(async () => {
  emulator = await startEmulator({ defaultLatency: { medianMs: 0, sigma: 0 }, latency: {} });
  await generateCorpus({ dir: goodDir, count: 12, seed: 27, maxPages: 2, damagedRate: 0, scannedRate: 0 });
  good = readManifest(goodDir);
});
after(() => emulator?.close());

async function generateRequests(): Promise<number> {
  const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as { requests: { byMethod: Record<string, number> } };
  return stats.requests.byMethod.generateContent ?? 0;
}

function manifestRows(): Array<Record<string, string>> {
  const [head, ...rows] = readFileSync(join(EINVOICES, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const columns = head!.split('\t');
  return rows.map((row) => Object.fromEntries(row.split('\t').map((value, index) => [columns[index]!, value])));
}

test('every real e-invoice (26 Factur-X/ZUGFeRD PDFs, 44 XRechnung/Peppol/UBL files) is answered from its XML with no request, exactly', async () => {
  const folder = join(work, 'real');
  mkdirSync(folder, { recursive: true });
  const rows = manifestRows();
  for (const row of rows) copyFileSync(join(EINVOICES, row.file!), join(folder, row.file!));
  // The stat cache trusts a hash taken 2 s after a file's last change (git's racy-clean rule): copies this fresh would be read again.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const before = await generateRequests();
  // The default include takes in .xml (and .XML) e-invoices beside PDFs.
  const args = ['run', folder, '-o', join(work, 'real.jsonl'), '--db', join(work, 'real-db'), '--no-tui', '--base-url', emulator.url, ...UNLIMITED];
  const run = await runCli(args, { env: KEY });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await generateRequests(), before, 'no generateContent request');
  const byName = new Map(readRecords(join(work, 'real.jsonl')).map((record) => [record.path.slice(folder.length + 1), record]));
  assert.equal(byName.size, rows.length);
  for (const row of rows) {
    const record = byName.get(row.file!)!;
    assert.equal(record.source, 'e-invoice', row.file);
    assert.equal(record.class, 'vendor_invoice', row.file);
    const fields = record.fields as Record<string, unknown>;
    assert.deepEqual(
      [fields.invoice_number, fields.invoice_date, fields.currency, fields.total, fields.vendor_name],
      [row.invoice_number, row.issue_date, row.currency, Number(row.grand_total), row.seller_name],
      row.file,
    );
    assert.equal(record.eInvoice?.document, row.document_type, `${row.file}: credit notes marked`);
  }
  const estimated = JSON.parse((await runCli(['estimate', folder, '--json'])).stdout) as EstimateReport;
  assert.deepEqual([estimated.eInvoices, estimated.classify.requests, estimated.windowPages], [rows.length, 0, 0], 'estimate counts them apart, at $0');
  const again = await runCli(args, { env: KEY });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /70 from cache/);
  assert.match(again.stderr, /0 files read and hashed/);
  // Another run (the PDFs alone): each unchanged file is answered by its stat, none read, the longer ones too (4-6 pages, more than --split-pages).
  const pdfsAlone = await runCli([...args, '--include', '**/*.pdf', '-o', join(work, 'real-pdfs.jsonl')], { env: KEY });
  assert.equal(pdfsAlone.code, 0, pdfsAlone.stderr);
  assert.match(pdfsAlone.stderr, /26 files in .* 0 answered, 26 from cache/);
  assert.match(pdfsAlone.stderr, /0 files read and hashed; 26 unchanged files not read/);
});

const cii = (total: string, extra = '') => `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">${extra}
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>INV-7</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20261201</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>Müller &amp; Söhne</ram:Name></ram:SellerTradeParty></ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode><ram:SpecifiedTradeSettlementHeaderMonetarySummation>${total}</ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>`;

test('hostile or broken XML is bad input: a coded record, never a hang or a blow-up; a PDF whose XML cannot be used is asked of the model, saying why', async () => {
  const folder = join(work, 'hostile');
  mkdirSync(folder, { recursive: true });
  const total = '<ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>';
  const files: Record<string, string> = {
    'xxe.xml': cii(total).replace('<rsm:CrossIndustryInvoice', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<rsm:CrossIndustryInvoice'),
    'laughs.xml': cii(total).replace(
      '<rsm:CrossIndustryInvoice',
      `<!DOCTYPE x [<!ENTITY a "ha">${Array.from({ length: 9 }, (_, level) => `<!ENTITY ${String.fromCharCode(98 + level)} "${`&${String.fromCharCode(97 + level)};`.repeat(10)}">`).join('')}]>\n<rsm:CrossIndustryInvoice`,
    ),
    'deep.xml': cii(total, `${'<ram:X>'.repeat(100_000)}${'</ram:X>'.repeat(100_000)}`),
    'huge.xml': cii(total, `<ram:Note>${'x'.repeat(9 * 1024 * 1024)}</ram:Note>`),
    'broken.xml': cii(total).replace('</rsm:ExchangedDocument>', ''),
    'no-total.xml': cii(''),
    'not-an-invoice.xml': '<?xml version="1.0"?><project><name>pom</name></project>',
    'good.xml': cii(total),
    // An S3 or portal error page saved under the invoice's name: a broken PDF, not an XML file to skip.
    's3-error.pdf': '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  writeFileSync(join(folder, 'hybrid-good.pdf'), withAttachment(join(goodDir, good[0]!.file), cii(total)));
  writeFileSync(join(folder, 'hybrid-broken.pdf'), withAttachment(join(goodDir, good[1]!.file), cii('')));
  const { child, result } = startCli(
    ['run', folder, '-o', join(work, 'hostile.jsonl'), '--db', join(work, 'hostile-db'), '--no-tui', '--base-url', emulator.url, ...UNLIMITED],
    {
      env: KEY,
    },
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const run = await result;
  clearTimeout(killer);
  assert.equal(run.code, 1, run.stderr);
  const records = new Map(readRecords(join(work, 'hostile.jsonl')).map((record) => [record.path.slice(folder.length + 1), record]));
  const codeOf = (name: string) => records.get(name)?.error?.code ?? records.get(name)?.source;
  assert.deepEqual(Object.fromEntries([...Object.keys(files), 'hybrid-good.pdf', 'hybrid-broken.pdf'].map((name) => [name, codeOf(name)])), {
    'xxe.xml': 'EINVOICE_INVALID',
    'laughs.xml': 'EINVOICE_INVALID',
    'deep.xml': 'EINVOICE_INVALID',
    'huge.xml': 'EINVOICE_INVALID',
    'broken.xml': 'EINVOICE_INVALID',
    'no-total.xml': 'EINVOICE_INVALID',
    'not-an-invoice.xml': 'NOT_AN_EINVOICE',
    'good.xml': 'e-invoice',
    's3-error.pdf': 'NOT_A_PDF',
    'hybrid-good.pdf': 'e-invoice',
    'hybrid-broken.pdf': 'gemini',
  });
  assert.match(records.get('xxe.xml')!.error!.message, /DTD/);
  assert.equal(records.get('not-an-invoice.xml')!.status, 'skipped');
  assert.equal(records.get('broken.xml')!.status, 'failed', 'a broken e-invoice is a failure, not a skip');
  assert.equal((records.get('good.xml')!.fields as Record<string, unknown>).vendor_name, 'Müller & Söhne');
  assert.match(records.get('hybrid-broken.pdf')!.eInvoice?.problem ?? '', /lacks BT-112/);
  assert.equal(records.get('hybrid-broken.pdf')!.class, good[1]!.class, 'the model read the pages instead');
  assert.doesNotMatch(JSON.stringify([...records.values()]), /root:x:0:0/, 'no external entity was read');
});

test('an XML file that is no e-invoice is skipped, not failed: the run exits 0 and says so; under --e-invoice ignore every XML file is skipped', async () => {
  const folder = join(work, 'skip');
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(goodDir, good[3]!.file), join(folder, 'invoice.pdf'));
  writeFileSync(join(folder, 'pom.xml'), '<?xml version="1.0"?><project><name>pom</name></project>');
  writeFileSync(join(folder, 'e-invoice.xml'), cii('<ram:GrandTotalAmount>9.50</ram:GrandTotalAmount>'));
  const common = ['--db', join(work, 'skip-db'), '--no-tui', '--base-url', emulator.url, ...UNLIMITED];
  const run = await runCli(['run', folder, '-o', join(work, 'skip.jsonl'), ...common], { env: KEY });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /0 failed, 1 skipped \(NOT_AN_EINVOICE 1\)/);
  const statuses = (file: string) =>
    Object.fromEntries(readRecords(file).map((record) => [record.path.slice(folder.length + 1), [record.status, record.error?.code ?? record.source]]));
  assert.deepEqual(statuses(join(work, 'skip.jsonl')), {
    'invoice.pdf': ['done', 'gemini'],
    'pom.xml': ['skipped', 'NOT_AN_EINVOICE'],
    'e-invoice.xml': ['done', 'e-invoice'],
  });
  const ignored = await runCli(['run', folder, '-o', join(work, 'skip-ignore.jsonl'), '--e-invoice', 'ignore', ...common], { env: KEY });
  assert.equal(ignored.code, 0, ignored.stderr);
  assert.deepEqual(statuses(join(work, 'skip-ignore.jsonl')), {
    'invoice.pdf': ['done', 'gemini'],
    'pom.xml': ['skipped', 'XML_NOT_READ'],
    'e-invoice.xml': ['skipped', 'XML_NOT_READ'],
  });
  const status = await runCli(['status', '--db', join(work, 'skip-db')]);
  assert.match(status.stdout, /2 done, 0 failed, 1 skipped/);
  assert.match(status.stdout, /1 done, 0 failed, 2 skipped/);
});

test('--e-invoice ignore leaves e-invoices to the model like any file', async () => {
  const folder = join(work, 'ignore');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'hybrid.pdf'), withAttachment(join(goodDir, good[2]!.file), cii('<ram:GrandTotalAmount>5.00</ram:GrandTotalAmount>')));
  const before = await generateRequests();
  const run = await runCli(
    [
      'run',
      folder,
      '-o',
      join(work, 'ignore.jsonl'),
      '--db',
      join(work, 'ignore-db'),
      '--no-tui',
      '--base-url',
      emulator.url,
      '--e-invoice',
      'ignore',
      ...UNLIMITED,
    ],
    {
      env: KEY,
    },
  );
  assert.equal(run.code, 0, run.stderr);
  const [record] = readRecords(join(work, 'ignore.jsonl'));
  assert.equal(record!.source, 'gemini');
  assert.ok((await generateRequests()) > before);
  assert.ok(readdirSync(folder).length === 1);
});

test("a generated 2,000-file folder where most invoices are Factur-X: one request per other intact file, and the e-invoices' fields equal their truth", async () => {
  const folder = join(work, 'mixed');
  await generateCorpus({ dir: folder, count: 2000, seed: 71, maxPages: 2, eInvoiceRate: 0.9 });
  const manifest = readManifest(folder);
  const eInvoices = manifest.filter((entry) => entry.eInvoice);
  assert.ok(eInvoices.length >= 0.25 * manifest.length, `${eInvoices.length} of ${manifest.length} are e-invoices`);
  const before = await generateRequests();
  const run = await runCli(
    ['run', folder, '-o', join(work, 'mixed.jsonl'), '--db', join(work, 'mixed-db'), '--no-tui', '--base-url', emulator.url, '--passes', '1', ...UNLIMITED],
    {
      env: KEY,
    },
  );
  assert.ok(run.code === 0 || run.code === 1, run.stderr);
  const asked = manifest.filter((entry) => !entry.eInvoice && entry.damaged === null).length;
  assert.equal((await generateRequests()) - before, asked, 'one request per intact file that is no e-invoice');
  const byFile = new Map(readRecords(join(work, 'mixed.jsonl')).map((record) => [record.path.slice(folder.length + 1), record]));
  for (const entry of eInvoices) {
    const record = byFile.get(entry.file)!;
    assert.equal(record.source, 'e-invoice', entry.file);
    assert.deepEqual(record.fields, entry.fields, entry.file);
  }
});

test('--e-invoice verify asks the model too and reports, per field, where it read the pages otherwise than the XML', async () => {
  const folder = join(work, 'verify');
  mkdirSync(folder, { recursive: true });
  const invoices = good.filter((entry) => entry.class === 'vendor_invoice');
  assert.ok(invoices.length >= 1, 'the generated folder holds an invoice');
  const agreeing = invoices[0]!;
  // The XML of the invoice itself: the model (reading the pages) agrees on every field.
  writeFileSync(join(folder, 'agrees.pdf'), withAttachment(join(goodDir, agreeing.file), ciiInvoiceXml(agreeing.fields)));
  // The XML says another total and vendor than the pages: the model disagrees on exactly those.
  const altered = { ...agreeing.fields, total: (agreeing.fields.total as number) + 100, vendor_name: 'Someone Else GmbH' };
  writeFileSync(join(folder, 'disagrees.pdf'), withAttachment(join(goodDir, agreeing.file), ciiInvoiceXml(altered)));
  // A standalone XML e-invoice has no page to show the model: the XML alone answers it, unchecked.
  writeFileSync(join(folder, 'standalone.xml'), ciiInvoiceXml(agreeing.fields));
  const before = await generateRequests();
  const run = await runCli(
    [
      'run',
      folder,
      '-o',
      join(work, 'verify.jsonl'),
      '--db',
      join(work, 'verify-db'),
      '--no-tui',
      '--base-url',
      emulator.url,
      '--e-invoice',
      'verify',
      ...UNLIMITED,
    ],
    {
      env: KEY,
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal((await generateRequests()) - before, 4, 'the model was asked about each PDF (classified, then extracted), not about the XML file');
  const records = new Map(readRecords(join(work, 'verify.jsonl')).map((record) => [record.path.slice(folder.length + 1), record]));
  assert.deepEqual(records.get('agrees.pdf')!.eInvoice?.disagreements, {});
  assert.deepEqual(records.get('disagrees.pdf')!.eInvoice?.disagreements, {
    total: { xml: altered.total, model: agreeing.fields.total },
    vendor_name: { xml: 'Someone Else GmbH', model: agreeing.fields.vendor_name },
  });
  assert.equal((records.get('disagrees.pdf')!.fields as Record<string, unknown>).total, altered.total, 'the XML stays the answer');
  assert.deepEqual([records.get('standalone.xml')!.source, records.get('standalone.xml')!.eInvoice?.disagreements], ['e-invoice', undefined]);
  // The run's own e-invoices are labels: the model's reading scored against the XML, field by field.
  const scored = await runCli(['eval', '--db', join(work, 'verify-db'), '--truth', 'e-invoice', '--json']);
  assert.equal(scored.code, 0, scored.stderr);
  const fields = (JSON.parse(scored.stdout) as EvalReport).fields;
  const score = (name: string) => fields.find((entry) => entry.field === `vendor_invoice.${name}`);
  assert.deepEqual([score('total')?.labelled, score('total')?.wrong, score('vendor_name')?.wrong, score('invoice_number')?.wrong], [2, 1, 1, 0]);
  const report = await runCli(['report', '--db', join(work, 'verify-db'), '-o', join(work, 'verify.html')]);
  assert.equal(report.code, 0, report.stderr);
  const html = readFileSync(join(work, 'verify.html'), 'utf8');
  assert.match(html, /E-invoices checked against the model/);
  assert.match(html, /answers from e-invoice 3/);
  assert.match(html, /vendor_name/);
  assert.match(
    run.stderr,
    /verify {3}2 e-invoices checked against the model: it disagreed with the XML on 1 \((total 1, vendor_name 1|vendor_name 1, total 1)\)/,
  );
});

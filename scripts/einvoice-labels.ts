/**
 * `node --import tsx scripts/einvoice-labels.ts`: writes test/fixtures/einvoices/labels.jsonl (the
 * samples' facts from MANIFEST.tsv, read from each file's XML by the corpus's curator, as labels
 * for `docpool eval`) and NOTICE (where every fixture comes from, under which licence).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = `${root}test/fixtures/einvoices`;
const [head, ...lines] = readFileSync(`${fixtures}/MANIFEST.tsv`, 'utf8').trim().split('\n');
const columns = head!.split('\t');
const rows = lines.map((line) => Object.fromEntries(line.split('\t').map((value, index) => [columns[index]!, value])));

const labels = rows.map((row) =>
  JSON.stringify({
    file: row.file,
    class: 'vendor_invoice',
    fields: {
      invoice_number: row.invoice_number,
      invoice_date: row.issue_date,
      currency: row.currency,
      total: Number(row.grand_total),
      vendor_name: row.seller_name,
    },
  }),
);
writeFileSync(`${fixtures}/labels.jsonl`, `${labels.join('\n')}\n`);

const byRepo = new Map<string, typeof rows>();
for (const row of rows) byRepo.set(`${row.repo} at ${row.commit}`, [...(byRepo.get(`${row.repo} at ${row.commit}`) ?? []), row]);
const notice = [
  'docpool',
  '',
  'docpool itself carries no third-party code. Its test fixtures include real e-invoice samples,',
  'copied unchanged from public repositories, each under its own licence. The licence texts are in',
  'test/fixtures/einvoices/LICENSE-<repository name>; test/fixtures/einvoices/MANIFEST.tsv lists each',
  'file with its repository, commit, path and SHA-256.',
  '',
  ...[...byRepo].flatMap(([repo, files]) => [
    `${repo} (${files[0]!.license}): ${files.length} file${files.length === 1 ? '' : 's'}`,
    ...files.map((file) => `  ${file.path}`),
    '',
  ]),
];
writeFileSync(`${root}NOTICE`, `${notice.join('\n').trimEnd()}\n`);
process.stdout.write(`wrote ${labels.length} labels and NOTICE (${byRepo.size} repository commits)\n`);

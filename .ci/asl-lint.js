// asl-lint.js FILE...: validates Amazon States Language files with
// amazon-states-language-service, the validator behind the AWS Toolkit's
// editor, and exits 1 if any file has an error or a warning.
//
// asl-validator checks the JSON schema and the state graph; the language
// service also checks values the schema leaves open (a Retrier's
// JitterStrategy, for one), so .ci/validate runs both.
'use strict';
const fs = require('fs');
const path = require('path');
const asl = require(path.join(__dirname, 'node', 'node_modules', 'amazon-states-language-service'));

async function main(files) {
  if (files.length === 0) {
    console.error('usage: node .ci/asl-lint.js FILE.asl.json...');
    return 2;
  }
  const ls = asl.getLanguageService({});
  let bad = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const doc = asl.TextDocument.create('file://' + path.resolve(file), 'asl', 0, text);
    const json = ls.parseJSONDocument(doc);
    const diags = await ls.doValidation(doc, json, { ignoreComments: false });
    for (const d of diags) {
      const sev = d.severity === asl.DiagnosticSeverity.Error ? 'error' : d.severity === asl.DiagnosticSeverity.Warning ? 'warning' : 'note';
      console.log(`${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${sev}: ${d.message}`);
      if (sev !== 'note') bad++;
    }
  }
  return bad > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error('asl-lint:', err && err.stack || err);
  process.exit(2);
});

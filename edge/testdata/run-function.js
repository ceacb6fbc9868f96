// Runs edge/viewer-request.js over the cases on stdin (JSON: sizes, and cases of uri, accept,
// format) and prints what it did with each: {status} or {uri}. Used by edge's Go test to compare
// the function with package edge on generated input.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const source = fs.readFileSync(path.join(__dirname, '..', 'viewer-request.js'), 'utf8');
const ctx = vm.createContext({ console: { log: function () {} } });
vm.runInContext(source.split('__ALLOWED_SIZES__').join(input.sizes), ctx);
const out = input.cases.map(function (c) {
    const headers = {};
    if (c.accept !== null) {
        headers.accept = { value: c.accept };
    }
    const querystring = {};
    if (c.format !== null) {
        querystring.format = { value: c.format };
    }
    const r = ctx.handler({ version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: '198.51.100.11' },
        request: { method: 'GET', uri: c.uri, querystring: querystring, headers: headers, cookies: {} } });
    return r.statusCode ? { status: r.statusCode } : { uri: r.uri };
});
process.stdout.write(JSON.stringify(out));

'use strict'
// pcmtap: zero-copy audio capture for Node.js. The hand-written entry: the generated loader
// of the native addon is native.js; this file adds only the JS-side API (lib/).
const { Capture } = require('./lib/capture')
const { listDevices, defaultDevice, hosts, listApplications } = require('./lib/devices')
const { watchDevices } = require('./lib/watch')
const { codes } = require('./lib/errors')
const { SLOT_BYTES } = require('./lib/options')

module.exports = { Capture, listDevices, defaultDevice, hosts, listApplications, watchDevices, codes, SLOT_BYTES }

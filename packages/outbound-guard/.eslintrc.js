module.exports = require('../../eslint.tempest.js')(__dirname);

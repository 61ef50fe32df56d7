module.exports = require('../../eslint.tempest.js')(__dirname, {
  // openapi-fetch's methods are named after HTTP verbs (GET, POST).
  rules: { 'new-cap': ['error', { capIsNew: false }] },
});

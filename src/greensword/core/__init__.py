"""Platform spine shared by every domain: database, audit trail, auth, validators, errors, rules."""

-- Failure counters for every kind of guess, each behind one row that admits guesses atomically:
-- `subject` is `password:<user id>`, `mfa:<user id>` (second-factor codes) or `unknown:<keyed
-- hash of a username no user has>`. `in_flight` counts guesses admitted but not yet resolved;
-- they stop counting at `in_flight_until` (a node that died mid-check cannot hold a slot for
-- ever). Rows go when stale (the janitor), not with their user.
CREATE TABLE sign_in_failures (
    pool_id          TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    subject          TEXT NOT NULL,
    failures         INTEGER NOT NULL,
    last_failure     INTEGER NOT NULL,
    locked_until     INTEGER NOT NULL,
    in_flight        INTEGER NOT NULL,
    in_flight_until  INTEGER NOT NULL,
    PRIMARY KEY (pool_id, subject)
);
INSERT INTO sign_in_failures (pool_id, subject, failures, last_failure, locked_until, in_flight, in_flight_until)
    SELECT pool_id, 'password:' || user_id, failures, last_failure, locked_until, 0, 0 FROM login_failures;
DROP TABLE login_failures;

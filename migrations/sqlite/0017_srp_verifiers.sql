-- USER_SRP_AUTH: each user's SRP salt and verifier (v = g^x mod N), sealed under the master key
-- like other recoverable secrets. NULL until the plaintext password is next seen.
ALTER TABLE users ADD COLUMN srp_verifier TEXT;

-- IAM customer managed policies (CreatePolicy) and their attachments to roles
-- (AttachRolePolicy). One version each (v1), the document as given (JSON text, URL-decoded).
CREATE TABLE iam_policies (
    arn          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    policy_id    TEXT NOT NULL UNIQUE,
    path         TEXT NOT NULL,
    document     TEXT NOT NULL,
    description  TEXT,
    created_at   BIGINT NOT NULL
);
-- IAM policy names are unique without regard to case, as role names are.
CREATE UNIQUE INDEX iam_policies_name_ci ON iam_policies(lower(name));

CREATE TABLE iam_role_attached_policies (
    role_name   TEXT NOT NULL REFERENCES iam_roles(name) ON DELETE CASCADE,
    policy_arn  TEXT NOT NULL REFERENCES iam_policies(arn),
    PRIMARY KEY (role_name, policy_arn)
);
CREATE INDEX iam_role_attached_policies_policy ON iam_role_attached_policies(policy_arn);

//! Lambda function ARNs as `LambdaConfig` names them:
//! `arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]`.

/// A parsed function ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionArn {
    pub region: String,
    pub account: String,
    pub name: String,
    /// A version or alias, sent as `?Qualifier=`.
    pub qualifier: Option<String>,
}

fn word(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl FunctionArn {
    /// `None` for anything that is not a Lambda function ARN (the partition may be `aws` or
    /// another, e.g. `aws-cn`).
    pub fn parse(arn: &str) -> Option<FunctionArn> {
        let parts: Vec<&str> = arn.split(':').collect();
        if !(7..=8).contains(&parts.len()) || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
            return None;
        }
        let (partition, region, account, name) = (parts[1], parts[3], parts[4], parts[6]);
        let qualifier = parts.get(7).copied();
        let ok = word(partition, 32)
            && word(region, 32)
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && word(name, 64)
            && qualifier.is_none_or(|q| word(q, 128) || q == "$LATEST");
        ok.then(|| FunctionArn {
            region: region.into(),
            account: account.into(),
            name: name.into(),
            qualifier: qualifier.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_function_arns_with_and_without_a_qualifier() {
        let a = FunctionArn::parse("arn:aws:lambda:eu-west-1:123456789012:function:pre-sign_up").unwrap();
        assert_eq!(
            (a.region.as_str(), a.account.as_str(), a.name.as_str()),
            ("eu-west-1", "123456789012", "pre-sign_up")
        );
        assert_eq!(a.qualifier, None);
        let a = FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:f:live").unwrap();
        assert_eq!(a.qualifier.as_deref(), Some("live"));
        assert!(FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST").is_some());
        for bad in [
            "",
            "arn:aws:lambda:us-east-1:123456789012:layer:f",
            "arn:aws:s3:us-east-1:123456789012:function:f",
            "arn:aws:lambda:us-east-1:1234:function:f",
            "arn:aws:lambda:us-east-1:123456789012:function:",
            "arn:aws:lambda:us-east-1:123456789012:function:f/../x",
            "arn:aws:lambda:us-east-1:123456789012:function:f:q:r",
        ] {
            assert_eq!(FunctionArn::parse(bad), None, "{bad}");
        }
    }
}

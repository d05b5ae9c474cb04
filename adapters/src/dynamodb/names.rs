//! Names both backends check the same way before they start: table names,
//! region names and the endpoint variables, with the DynamoDB endpoint of a
//! region derived as the AWS SDKs derive it.

use super::build_error::BuildError;

/// Environment variable overriding the endpoint for DynamoDB only.
pub const ENDPOINT_ENV_DYNAMODB: &str = "AWS_ENDPOINT_URL_DYNAMODB";
/// Environment variable overriding the endpoint for every AWS service.
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";

/// 1 to 63 ASCII letters, digits and hyphens, not starting or ending with a
/// hyphen: the shape the AWS SDKs require of a region name.
pub(crate) fn is_dns_label(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// The DynamoDB endpoint of a region rusoto does not know (`name` is a
/// lowercase DNS label), or `None` when the name belongs to no partition.
///
/// As the AWS SDKs derive it: `https://dynamodb.{region}.{dnsSuffix}` (the
/// default rule of DynamoDB's endpoint rule set), with the partitions'
/// `regionRegex` and `dnsSuffix` from the SDKs' `partitions.json`. Unlike
/// the SDKs, a name of no partition is refused rather than sent to the
/// `aws` partition's domain.
pub(crate) fn dynamodb_endpoint(name: &str) -> Option<String> {
    let word = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric());
    let number = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = name.split('-').collect();
    let dns_suffix = match parts.as_slice() {
        [area, place, n] if word(place) && number(n) => match *area {
            // aws: ^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$
            "us" | "eu" | "ap" | "sa" | "ca" | "me" | "af" | "il" | "mx" => "amazonaws.com",
            // aws-cn: ^cn\-\w+\-\d+$
            "cn" => "amazonaws.com.cn",
            _ => return None,
        },
        [area, kind, place, n] if word(place) && number(n) => match (*area, *kind) {
            // aws-us-gov: ^us\-gov\-\w+\-\d+$
            ("us", "gov") => "amazonaws.com",
            // aws-iso: ^us\-iso\-\w+\-\d+$
            ("us", "iso") => "c2s.ic.gov",
            // aws-iso-b: ^us\-isob\-\w+\-\d+$
            ("us", "isob") => "sc2s.sgov.gov",
            // aws-iso-f: ^us\-isof\-\w+\-\d+$
            ("us", "isof") => "csp.hci.ic.gov",
            // aws-iso-e: ^eu\-isoe\-\w+\-\d+$
            ("eu", "isoe") => "cloud.adc-e.uk",
            // aws-eusc: ^eusc\-(de)\-\w+\-\d+$
            ("eusc", "de") => "amazonaws.eu",
            _ => return None,
        },
        _ => return None,
    };
    Some(format!("https://dynamodb.{name}.{dns_suffix}"))
}

/// An endpoint as given, without surrounding whitespace or trailing slashes.
pub(crate) fn clean_endpoint(endpoint: &str) -> String {
    endpoint.trim().trim_end_matches('/').to_owned()
}

/// An endpoint (from `origin`) cleaned and checked: a URI with scheme
/// `http` or `https` (any case; returned in lowercase), a host, a port that
/// is a port, and no query. The AWS SDK silently ignores an endpoint
/// variable it cannot parse and sends to the region's real endpoint
/// instead, and hyper connects to port 80 when a port does not parse: a
/// typo such as `127.0.0.1:8000` or `:80OO` must stop the start instead.
pub(crate) fn checked_endpoint(endpoint: &str, origin: &'static str) -> Result<String, BuildError> {
    let invalid = || BuildError::InvalidEndpoint { origin };
    let cleaned = clean_endpoint(endpoint);
    let uri: http::Uri = cleaned.parse().map_err(|_| invalid())?;
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .ok_or_else(invalid)?;
    let host_ok = uri.host().is_some_and(|host| !host.is_empty());
    // `Uri::port` is `None` for a port that does not parse: read the text.
    let authority = uri.authority().map_or("", |authority| authority.as_str());
    let port_text = match authority.rsplit_once(':') {
        Some((_, after)) if !authority.ends_with(']') => Some(after),
        _ => None,
    };
    let port_ok = port_text.is_none_or(|text| text.parse::<u16>().is_ok_and(|port| port != 0));
    let usable = matches!(scheme.as_str(), "http" | "https")
        && host_ok
        && port_ok
        && uri.query().is_none()
        && !cleaned.contains('#');
    if !usable {
        return Err(invalid());
    }
    Ok(format!("{scheme}{}", &cleaned[scheme.len()..]))
}

/// The endpoint both backends send to, if one is configured: the builder's,
/// else `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL` (blank values
/// count as unset), each checked by [`checked_endpoint`].
pub(crate) fn configured_endpoint(
    given: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, BuildError> {
    if let Some(given) = given {
        return checked_endpoint(given, "the builder's endpoint").map(Some);
    }
    for name in [ENDPOINT_ENV_DYNAMODB, ENDPOINT_ENV] {
        if let Some(value) = env(name).filter(|value| !value.trim().is_empty()) {
            return checked_endpoint(&value, name).map(Some);
        }
    }
    Ok(None)
}

/// Checks a table name against DynamoDB's rules: 3 to 255 characters from
/// `a-z A-Z 0-9 _ - .`.
pub(crate) fn validate_table_name(name: &str) -> Result<(), BuildError> {
    let valid = (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(())
    } else {
        Err(BuildError::InvalidTableName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_then_the_dynamodb_variable_then_the_general_one() {
        let env = |name: &str| match name {
            ENDPOINT_ENV_DYNAMODB => Some("  ".to_owned()),
            ENDPOINT_ENV => Some("http://general:1/".to_owned()),
            _ => None,
        };
        assert_eq!(
            configured_endpoint(Some("http://given:2"), &env).unwrap(),
            Some("http://given:2".to_owned())
        );
        assert_eq!(
            configured_endpoint(None, &env).unwrap(),
            Some("http://general:1".to_owned())
        );
        assert_eq!(configured_endpoint(None, &|_| None).unwrap(), None);
        let typo =
            |name: &str| (name == ENDPOINT_ENV_DYNAMODB).then(|| "127.0.0.1:8000".to_owned());
        assert!(matches!(
            configured_endpoint(None, &typo),
            Err(BuildError::InvalidEndpoint {
                origin: ENDPOINT_ENV_DYNAMODB
            })
        ));
    }

    #[test]
    fn endpoints_need_a_scheme_and_a_host() {
        for good in [
            "http://127.0.0.1:8000",
            " https://dynamodb.eu-central-2.amazonaws.com/ ",
            "http://localhost:8000/",
            "http://[::1]:8000",
            "http://host/path",
        ] {
            assert!(checked_endpoint(good, "test").is_ok(), "{good}");
        }
        assert_eq!(
            checked_endpoint("http://127.0.0.1:8000/", "test").unwrap(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(
            checked_endpoint("HTTP://Host:8000", "test").unwrap(),
            "http://Host:8000"
        );
        for bad in [
            "127.0.0.1:8000",
            "localhost",
            "http://",
            "https:///x",
            "ftp://host",
            "http://ho st",
            "http://ho\u{7}st",
            "",
            "http://host:80OO",
            "http://host:99999",
            "http://host:0",
            "http://[::1",
            "http://ho^st",
            "http://host?x=1",
            "http://host#top",
        ] {
            assert!(
                matches!(
                    checked_endpoint(bad, "test"),
                    Err(BuildError::InvalidEndpoint { origin: "test" })
                ),
                "{bad:?}"
            );
        }
    }
}

//! Names both backends check the same way before they start: table names,
//! region names and endpoints, with the DynamoDB endpoint of a region
//! derived as the AWS SDKs derive it.

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

/// The regions rusoto 0.48 knows, whose compact spellings (`euwest1`)
/// rusoto always accepted: both backends still read them.
const COMPACT_SPELLED: [&str; 26] = [
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "af-south-1",
];

/// A region name (from `origin`) as signed and sent: surrounding whitespace
/// ignored, lowercase, a DNS label, and a compact spelling of one of
/// rusoto's regions (`euwest1`) written out (`eu-west-1`).
pub(crate) fn region_name(name: &str, origin: &'static str) -> Result<String, BuildError> {
    let lower = name.trim().to_ascii_lowercase();
    if !is_dns_label(&lower) {
        return Err(BuildError::InvalidRegion {
            name: name.to_owned(),
            origin,
        });
    }
    let written_out = COMPACT_SPELLED
        .into_iter()
        .find(|region| !lower.contains('-') && region.replace('-', "") == lower);
    Ok(written_out.map_or(lower, str::to_owned))
}

/// The DynamoDB endpoint of a region (`name` is a
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

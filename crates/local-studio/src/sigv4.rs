//! SigV4 verification: the request is signed again with the caller's secret, the headers
//! the caller says it signed, and its own `X-Amz-Date`, and the two signatures must match.
//! Any region is accepted; the service must be `nimble`.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Clock skew tolerated between a client's `X-Amz-Date` and ours, as AWS does.
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// A verified caller: the user a credential stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub access_key_id: String,
    pub user: String,
    /// A signed on-behalf-of and reason (`nimble_model::ON_BEHALF_OF_HEADER`): who acts,
    /// and why, decoded.
    pub acting: Option<(String, String)>,
}

/// An access key, its secret, and the user it acts as (`createdBy`, `startedBy`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub user: String,
}

impl Credential {
    /// The development default, for local use only: `LOCALSTUDIODEV` / `local-studio-dev-secret`.
    pub fn dev() -> Self {
        Credential {
            access_key_id: "LOCALSTUDIODEV".into(),
            secret_access_key: "local-studio-dev-secret".into(),
            user: "LOCALSTUDIODEV".into(),
        }
    }

    /// `AKID:SECRET` or `AKID:SECRET:USER`, as given to `--credential`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(secret), user) if !id.is_empty() && !secret.is_empty() => {
                Ok(Credential {
                    access_key_id: id.to_owned(),
                    secret_access_key: secret.to_owned(),
                    user: user.filter(|u| !u.is_empty()).unwrap_or(id).to_owned(),
                })
            }
            _ => Err(format!(
                "expected ACCESS_KEY_ID:SECRET[:USER], got {text:?}"
            )),
        }
    }
}

pub struct Verifier {
    credentials: HashMap<String, Credential>,
}

/// What the caller claims in its `Authorization` header.
struct Claim<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Claim<'_>> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, val) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed = Some(val),
            "Signature" => signature = Some(val),
            _ => {}
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope.as_slice() else {
        return None;
    };
    Some(Claim {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed?.split(';').collect(),
        signature: signature?,
    })
}

/// `20240102T030405Z` as a point in time.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let date = time::PrimitiveDateTime::parse(text, format)
        .ok()?
        .assume_utc();
    let seconds = u64::try_from(date.unix_timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Verifier {
    pub fn new(credentials: &[Credential]) -> Self {
        Verifier {
            credentials: credentials
                .iter()
                .map(|c| (c.access_key_id.clone(), c.clone()))
                .collect(),
        }
    }

    /// Checks the signature of a request; the error is a message for a 403.
    pub fn verify(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &http::HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Caller, String> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let authorization = header("authorization")
            .ok_or("Missing Authentication Token: the request is not signed (SigV4 required)")?;
        let claim = parse_authorization(authorization)
            .ok_or("The Authorization header is not a valid AWS4-HMAC-SHA256 signature")?;
        if claim.service != "nimble" {
            return Err(format!(
                "Credential should be scoped to service 'nimble', not '{}'",
                claim.service
            ));
        }
        let credential = self
            .credentials
            .get(claim.access_key_id)
            .ok_or("The security token included in the request is invalid: unknown access key")?;
        let amz_date = header("x-amz-date").ok_or("The request must carry an X-Amz-Date header")?;
        let signed_at =
            parse_amz_date(amz_date).ok_or("X-Amz-Date is not in the form 20240102T030405Z")?;
        if !amz_date.starts_with(claim.date) {
            return Err("The credential scope date does not match X-Amz-Date".into());
        }
        let skew = now
            .duration_since(signed_at)
            .or_else(|e| Ok::<_, ()>(e.duration()))
            .unwrap_or_default();
        if skew > MAX_SKEW {
            return Err(format!(
                "Signature expired: X-Amz-Date {amz_date} is more than 5 minutes from the server time"
            ));
        }
        if !claim.signed_headers.contains(&"host") {
            return Err("The signature must cover the Host header".into());
        }
        let mut signed = Vec::new();
        for name in &claim.signed_headers {
            let value = header(name)
                .ok_or_else(|| format!("Signed header {name} is missing from the request"))?;
            signed.push((*name, value));
        }

        let identity = Credentials::new(
            &credential.access_key_id,
            &credential.secret_access_key,
            None,
            None,
            "local-studio",
        )
        .into();
        let mut settings = SigningSettings::default();
        // Only the headers the caller signed are passed in, so none may be dropped.
        settings.excluded_headers = Some(Vec::new());
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(claim.region)
            .name("nimble")
            .time(signed_at)
            .settings(settings)
            .build()
            .map_err(|e| format!("cannot check the signature: {e}"))?
            .into();
        let request = SignableRequest::new(
            method,
            path_and_query,
            signed.into_iter(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| format!("cannot check the signature: {e}"))?;
        let expected =
            sign(request, &params).map_err(|e| format!("cannot check the signature: {e}"))?;
        if !constant_time_eq(expected.signature().as_bytes(), claim.signature.as_bytes()) {
            return Err(
                "The request signature we calculated does not match the signature you provided. \
                        Check your AWS Secret Access Key and signing method."
                    .into(),
            );
        }
        let signed_value = |name: &str| {
            claim
                .signed_headers
                .contains(&name)
                .then(|| header(name))
                .flatten()
        };
        let acting = match (
            signed_value(nimble_model::ON_BEHALF_OF_HEADER),
            signed_value(nimble_model::REASON_HEADER),
        ) {
            (Some(user), Some(reason)) => {
                let reason = percent_encoding::percent_decode_str(reason)
                    .decode_utf8_lossy()
                    .into_owned();
                Some((user.to_owned(), reason))
            }
            _ => None,
        };
        Ok(Caller {
            access_key_id: credential.access_key_id.clone(),
            user: credential.user.clone(),
            acting,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_parse_with_an_optional_user() {
        let c = Credential::parse("AKID:secret:alice").unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.user.as_str()),
            ("AKID", "alice")
        );
        assert_eq!(Credential::parse("AKID:se:cret").unwrap().user, "cret");
        assert_eq!(Credential::parse("AKID:secret").unwrap().user, "AKID");
        assert!(Credential::parse("AKID").is_err());
        assert!(Credential::parse(":x").is_err());
    }

    #[test]
    fn authorization_headers_are_parsed_strictly() {
        let claim = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AK/20261122/us-west-2/nimble/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(
            (claim.access_key_id, claim.region, claim.service),
            ("AK", "us-west-2", "nimble")
        );
        assert_eq!(claim.signed_headers, ["host", "x-amz-date"]);
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/x, Signature=abc").is_none());
        assert!(parse_authorization("Basic abc").is_none());
    }
}

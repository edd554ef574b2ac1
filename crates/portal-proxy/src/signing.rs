//! SigV4 signing of upstream calls (signing name `nimble`), with credentials fixed in the
//! config or from the standard AWS chain (environment, profile, SSO, container, instance).

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

#[derive(Clone, Debug)]
pub enum Credentials {
    Fixed(aws_credential_types::Credentials),
    Chain(SharedCredentialsProvider),
}

impl Credentials {
    pub fn fixed(access_key_id: &str, secret_access_key: &str) -> Self {
        Credentials::Fixed(aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "portal-proxy-config",
        ))
    }

    pub async fn default_chain() -> Self {
        let provider = aws_config::default_provider::credentials::default_provider().await;
        Credentials::Chain(SharedCredentialsProvider::new(provider))
    }

    async fn resolve(&self) -> Result<aws_credential_types::Credentials, String> {
        match self {
            Credentials::Fixed(credentials) => Ok(credentials.clone()),
            Credentials::Chain(provider) => provider
                .provide_credentials()
                .await
                .map_err(|e| format!("no AWS credentials: {e}")),
        }
    }
}

/// The headers (Authorization, X-Amz-Date, X-Amz-Security-Token) that sign this request.
/// `headers` are the ones sent, Host included; `url` is already encoded.
pub async fn signature_headers(
    credentials: &Credentials,
    region: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<(String, String)>, String> {
    let identity = credentials.resolve().await?.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("nimble")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

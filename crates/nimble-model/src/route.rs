//! Paths of the routing table (`operations.rs`): a server parses a request path into a
//! [`Route`], a client builds one and asks for its path, so both sides agree on encoding
//! by construction; and the query-string codec the lists use.

use crate::Operation;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986 unreserved characters is encoded, as botocore does.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a path did not name an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("no operation at this path")]
    NotFound,
    #[error("method {0} is not allowed at this path")]
    MethodNotAllowed(String),
    #[error("{0} must not be empty")]
    EmptyLabel(&'static str),
    #[error("{0} is not valid percent-encoded UTF-8")]
    BadEncoding(&'static str),
}

/// An operation with its decoded path labels, in template order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub operation: Operation,
    labels: Vec<(&'static str, String)>,
}

impl Route {
    /// `labels` are the decoded values in template order (studioId first).
    pub fn new<S: Into<String>>(operation: Operation, labels: impl IntoIterator<Item = S>) -> Self {
        let labels = operation
            .label_names()
            .zip(labels.into_iter().map(Into::into))
            .collect();
        Route { operation, labels }
    }

    /// Matches a request path (without query) against the table; each segment is
    /// percent-decoded after splitting on `/`, so an encoded `/` stays inside its label.
    pub fn parse(method: &str, path: &str) -> Result<Route, RouteError> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut wrong_method = false;
        for operation in Operation::routed() {
            let template: Vec<&str> = operation.uri_template().split('/').collect();
            if template.len() != segments.len() {
                continue;
            }
            let mut labels = Vec::new();
            let mut matched = true;
            for (want, got) in template.iter().zip(&segments) {
                if let Some(name) = want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    labels.push((name, *got));
                } else if want != got {
                    matched = false;
                    break;
                }
            }
            if !matched {
                continue;
            }
            if operation.method() != method {
                wrong_method = true;
                continue;
            }
            let mut decoded = Vec::with_capacity(labels.len());
            for (name, raw) in labels {
                let name = operation
                    .label_names()
                    .find(|n| *n == name)
                    .unwrap_or("label");
                let value = percent_decode_str(raw)
                    .decode_utf8()
                    .map_err(|_| RouteError::BadEncoding(name))?;
                if value.is_empty() {
                    return Err(RouteError::EmptyLabel(name));
                }
                decoded.push((name, value.into_owned()));
            }
            return Ok(Route {
                operation,
                labels: decoded,
            });
        }
        if wrong_method {
            Err(RouteError::MethodNotAllowed(method.to_owned()))
        } else {
            Err(RouteError::NotFound)
        }
    }

    /// The request path with every label encoded exactly once.
    pub fn path(&self) -> String {
        let mut path = String::new();
        for segment in self.operation.uri_template().split('/').skip(1) {
            path.push('/');
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    path.extend(utf8_percent_encode(self.label(name).unwrap_or(""), ENCODE))
                }
                None => path.push_str(segment),
            }
        }
        path
    }

    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn studio_id(&self) -> &str {
        self.label("studioId").unwrap_or("")
    }

    pub fn session_id(&self) -> Option<&str> {
        self.label("sessionId")
    }

    pub fn stream_id(&self) -> Option<&str> {
        self.label("streamId")
    }

    pub fn backup_id(&self) -> Option<&str> {
        self.label("backupId")
    }

    /// The artist an extension's path names.
    pub fn user_id(&self) -> Option<&str> {
        self.label("userId")
    }

    pub fn launch_profile_id(&self) -> Option<&str> {
        self.label("launchProfileId")
    }

    pub fn streaming_image_id(&self) -> Option<&str> {
        self.label("streamingImageId")
    }
}

pub(crate) fn encode_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", utf8_percent_encode(value, ENCODE)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Splits a query string into decoded pairs; `+` is read as a space, to be tolerant.
pub(crate) fn decode_query(query: &str) -> Vec<(String, String)> {
    let decode = |text: &str| {
        percent_decode_str(&text.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ListStreamingSessionsQuery, QueryString};

    #[test]
    fn labels_are_decoded_after_splitting() {
        let route = Route::parse(
            "GET",
            "/2020-08-01/studios/us-west-2%3Ast%20id%2F1/streaming-sessions/ss-1",
        )
        .unwrap();
        assert_eq!(route.operation, Operation::GetStreamingSession);
        assert_eq!(route.studio_id(), "us-west-2:st id/1");
        assert_eq!(route.session_id(), Some("ss-1"));
        assert_eq!(
            route.path(),
            "/2020-08-01/studios/us-west-2%3Ast%20id%2F1/streaming-sessions/ss-1"
        );
    }

    #[test]
    fn unknown_paths_methods_and_empty_labels_are_errors() {
        assert_eq!(
            Route::parse("GET", "/2020-08-01/studios/s/nothing"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            Route::parse("PUT", "/2020-08-01/studios/s/streaming-sessions"),
            Err(RouteError::MethodNotAllowed("PUT".into()))
        );
        assert_eq!(
            Route::parse("GET", "/2020-08-01/studios//streaming-sessions"),
            Err(RouteError::EmptyLabel("studioId"))
        );
    }

    #[test]
    fn query_strings_round_trip_with_commas_and_spaces() {
        let query = ListStreamingSessionsQuery {
            owned_by: Some("a b".into()),
            session_ids: Some("ss-1,ss-2".into()),
            ..Default::default()
        };
        let text = query.to_query_string();
        assert_eq!(text, "ownedBy=a%20b&sessionIds=ss-1%2Css-2");
        assert_eq!(
            ListStreamingSessionsQuery::from_query_string(&text).unwrap(),
            query
        );
        let plus = ListStreamingSessionsQuery::from_query_string("ownedBy=a+b").unwrap();
        assert_eq!(plus.owned_by.as_deref(), Some("a b"));
    }
}

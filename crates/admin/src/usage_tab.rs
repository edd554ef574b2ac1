//! The Usage tab's reads and its download: a month's READY hours and cost, grouped by
//! artist, launch profile or instance type (GetStudioUsage, every page), the most
//! workstations READY at once hour by hour (GetStudioConcurrency), and the CSV of the
//! groups shown, handed to the browser as a file.

use crate::state::Month;
use crate::usage::month_span;
use nimble_model::{
    ConcurrencyQuery, ConcurrencyResponse, Operation, QueryString, Route, StudioUsageQuery,
    StudioUsageResponse,
};
use studio_portal::api;
use studio_portal::logic::Failure;
use wasm_bindgen::JsCast;

/// Month `month` ("2026-11") of `studio`, grouped by `group_by`.
pub async fn read(studio: &str, month: &str, group_by: &str) -> Result<Month, Failure> {
    let (from, to) = month_span(month).ok_or_else(|| Failure::Api {
        kind: None,
        status: 400,
        message: "choose a month".into(),
    })?;
    let base = Route::new(Operation::GetStudioUsage, [studio]).path();
    let mut groups = Vec::new();
    let mut next_token = None;
    loop {
        let query = StudioUsageQuery {
            from: Some(from.clone()),
            to: Some(to.clone()),
            group_by: Some(group_by.to_owned()),
            max_results: Some("1000".into()),
            next_token,
        };
        let page: StudioUsageResponse =
            api::decode(api::get(&format!("{base}?{}", query.to_query_string())).await?)?;
        groups.extend(page.usage.unwrap_or_default());
        next_token = page.next_token.filter(|t| !t.is_empty());
        if next_token.is_none() {
            break;
        }
    }
    let query = ConcurrencyQuery {
        from: Some(from),
        to: Some(to),
        step_minutes: Some("60".into()),
    };
    let path = Route::new(Operation::GetStudioConcurrency, [studio]).path();
    let chart: ConcurrencyResponse =
        api::decode(api::get(&format!("{path}?{}", query.to_query_string())).await?)?;
    let (from_ms, to_ms, _) = query.span_ms();
    let points = chart.points.unwrap_or_default();
    Ok(Month {
        month: month.to_owned(),
        group_by: group_by.to_owned(),
        groups,
        points: points
            .iter()
            .filter_map(|p| Some((p.at?.unix_millis(), p.ready?)))
            .collect(),
        span_ms: (from_ms, to_ms),
        peak: chart.peak.unwrap_or(0),
    })
}

/// Hands `text` to the browser as a CSV file named `name`.
pub fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok());
    if let Some(link) = link {
        let link: web_sys::HtmlAnchorElement = link.unchecked_into();
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

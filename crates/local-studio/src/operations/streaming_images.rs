//! ListStreamingImages and GetStreamingImage: the studio's images, read from the studio
//! config (`[[studios.streaming_images]]`), never stored. One page holds them all (the
//! model gives the list no maxResults); a `nextToken` this server did not issue is refused.
//! `owner` filters by owner (the studio id for the studio's own images).

use super::{to_json, Call, Result};
use crate::config::Studio;
use nimble_model::*;

pub fn list(call: &Call, studio: &Studio) -> Result<String> {
    let query: ListStreamingImagesQuery = parse_query(call.query)?;
    if query.next_token.is_some() {
        return Err(ValidationError::new("nextToken", "was not issued by this server").into());
    }
    let images = studio
        .streaming_images
        .iter()
        .filter(|i| query.owner.is_none() || i.owner == query.owner)
        .cloned()
        .collect();
    to_json(&ListStreamingImagesResponse {
        next_token: None,
        streaming_images: Some(images),
    })
}

pub fn get(call: &Call, studio: &Studio) -> Result<String> {
    let id = call.route.streaming_image_id().unwrap_or("");
    let image = studio
        .streaming_images
        .iter()
        .find(|i| i.streaming_image_id.as_deref() == Some(id))
        .ok_or_else(|| ApiError::not_found("Streaming image", id))?;
    to_json(&GetStreamingImageResponse {
        streaming_image: Some(image.clone()),
    })
}

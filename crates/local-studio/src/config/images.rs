//! Streaming images in the studio config, and what an `ec2` launch profile needs of them:
//! each image it offers must exist and name its AMI (`ec2ImageId`). The server fills in
//! what the API derives (ARN, studio, owner, READY).

use super::{ConfigError, DriverName, Profile, Studio};
use nimble_model::{StreamingImage, StreamingImageState, StreamingImageStatusCode};

/// Fills in each image's derived fields; an image without an id is refused.
pub(super) fn complete(
    studio: &mut Studio,
    region: &str,
    account: &str,
) -> Result<(), ConfigError> {
    for image in &mut studio.streaming_images {
        let id = image.streaming_image_id.clone().unwrap_or_default();
        if id.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "studio {}: a streaming image has no streamingImageId",
                studio.studio_id
            )));
        }
        image.arn = Some(format!(
            "arn:aws:nimble:{region}:{account}:streaming-image/{id}"
        ));
        image.studio_id = Some(studio.studio_id.clone());
        image.owner.get_or_insert_with(|| studio.studio_id.clone());
        image.state.get_or_insert(StreamingImageState::Ready);
        image
            .status_code
            .get_or_insert(StreamingImageStatusCode::StreamingImageReady);
    }
    Ok(())
}

/// An `ec2` profile has its settings, and each of its images an AMI; no other has them.
pub(super) fn check_profile(profile: &Profile, images: &[StreamingImage]) -> Result<(), String> {
    match (&profile.driver, &profile.ec2) {
        (DriverName::Ec2, None) => {
            return Err("driver = \"ec2\" needs an [ec2] table (region, subnet_id, …)".into())
        }
        (DriverName::Ec2, Some(settings)) => settings.check()?,
        (_, Some(_)) => return Err("an [ec2] table needs driver = \"ec2\"".into()),
        (_, None) => return Ok(()),
    }
    let config = profile.api.stream_configuration.as_ref();
    let wanted = config.and_then(|c| c.streaming_image_ids.as_ref());
    for id in wanted.into_iter().flatten() {
        let image = images
            .iter()
            .find(|i| i.streaming_image_id.as_deref() == Some(id))
            .ok_or_else(|| {
                format!("streaming image {id:?} is not in the studio's streaming_images")
            })?;
        if image.ec2_image_id.as_deref().is_none_or(str::is_empty) {
            return Err(format!("streaming image {id:?} has no ec2ImageId"));
        }
    }
    Ok(())
}

impl Studio {
    /// The AMI of streaming image `id`.
    pub fn ec2_image_id(&self, id: &str) -> Option<&str> {
        self.streaming_images
            .iter()
            .find(|i| i.streaming_image_id.as_deref() == Some(id))
            .and_then(|i| i.ec2_image_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::StudioConfig;

    const EC2_STUDIO: &str = r#"
[[studios]]
studio_id = "cloud"
[[studios.streaming_images]]
streamingImageId = "img-ws"
name = "Workstation"
ec2ImageId = "ami-0abc"
platform = "LINUX"
[[studios.launch_profiles]]
launchProfileId = "lp-cloud"
name = "Cloud"
driver = "ec2"
[studios.launch_profiles.streamConfiguration]
clipboardMode = "ENABLED"
ec2InstanceTypes = ["g4dn.xlarge"]
streamingImageIds = ["img-ws"]
[studios.launch_profiles.ec2]
region = "eu-west-1"
dcv_host = "private-ip"
"#;

    #[test]
    fn an_ec2_profile_and_its_images_are_read_with_what_the_api_derives() {
        let config = StudioConfig::parse(EC2_STUDIO).unwrap();
        let studio = config.studio("cloud").unwrap();
        let image = &studio.streaming_images[0];
        assert_eq!(
            image.arn.as_deref(),
            Some("arn:aws:nimble:us-west-2:123456789012:streaming-image/img-ws")
        );
        assert_eq!(image.state.as_ref().map(|s| s.as_str()), Some("READY"));
        assert_eq!(studio.ec2_image_id("img-ws"), Some("ami-0abc"));
        let settings = studio
            .launch_profile("lp-cloud")
            .unwrap()
            .ec2
            .clone()
            .unwrap();
        assert_eq!(
            (settings.region.as_str(), settings.dcv_port),
            ("eu-west-1", 8443)
        );
    }

    #[test]
    fn an_ec2_profile_that_cannot_launch_is_refused_at_start_with_the_reason() {
        let refused = |from: &str, to: &str| {
            let text = EC2_STUDIO.replace(from, to);
            assert_ne!(text, EC2_STUDIO, "{from}");
            StudioConfig::parse(&text).unwrap_err().to_string()
        };
        let error = refused("ec2ImageId = \"ami-0abc\"\n", "");
        assert!(error.contains("\"img-ws\" has no ec2ImageId"), "{error}");
        let error = refused(
            "streamingImageIds = [\"img-ws\"]",
            "streamingImageIds = [\"img-other\"]",
        );
        assert!(
            error.contains("not in the studio's streaming_images"),
            "{error}"
        );
        let error = refused("driver = \"ec2\"", "driver = \"simulated\"");
        assert!(error.contains("needs driver = \"ec2\""), "{error}");
        let error = refused("dcv_host = \"private-ip\"", "dcv_host = \"somewhere\"");
        assert!(error.contains("dcv_host must be"), "{error}");
        let error = refused(
            "region = \"eu-west-1\"",
            "region = \"eu-west-1\"\nuser_data_template = \"/no/such/file\"",
        );
        assert!(error.contains("/no/such/file"), "{error}");
        let error = refused(
            "region = \"eu-west-1\"",
            "region = \"eu-west-1\"\nsubnet = \"typo\"",
        );
        assert!(error.contains("subnet"), "{error}");
    }
}

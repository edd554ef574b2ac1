//! Backups as AMIs. A stop with a backup makes an image of the stopped instance with
//! CreateImage, tagged with the backup id and the session's tags (its snapshots too, once
//! it is available), so a stop begun again finds the image instead of making a second one.
//! Pruning deregisters an image and deletes its snapshots, which an image does not do
//! by itself.

use super::client::{Ctx, TAG_BACKUP};
use super::instances::tag_filter;
use super::states::{failure, Failure, Step};
use aws_sdk_ec2::types::{Image, ImageState, ResourceType};
use nimble_model::StreamingSessionStatusCode as Code;

/// This account's images made for `backup`.
async fn images_of(ctx: &Ctx<'_>, backup: &str) -> Step<Vec<Image>> {
    let found = ctx
        .client
        .describe_images()
        .owners("self")
        .filters(tag_filter(TAG_BACKUP, backup))
        .send()
        .await
        .map_err(failure)?;
    Ok(found.images().to_vec())
}

/// The AMI of `backup`, made from instance `id` unless it exists; waits until available.
pub async fn back_up(
    ctx: &Ctx<'_>,
    backup: &str,
    id: &str,
    report: &(dyn Fn(&str) + Sync),
) -> Step<String> {
    let image = match images_of(ctx, backup).await?.into_iter().next() {
        Some(image) => image.image_id().unwrap_or_default().to_owned(),
        None => {
            let made = ctx
                .client
                .create_image()
                .instance_id(id)
                .name(format!("studio-portal {} {backup}", ctx.session))
                .description(format!(
                    "Backup {backup} of streaming session {}",
                    ctx.session
                ))
                .tag_specifications(ctx.tag_spec(ResourceType::Image, &[(TAG_BACKUP, backup)]))
                .send()
                .await
                .map_err(failure)?;
            made.image_id()
                .ok_or_else(|| Failure::Retry("CreateImage answered without an image".into()))?
                .to_owned()
        }
    };
    loop {
        let images = images_of(ctx, backup).await?;
        match images.first().and_then(|i| i.state()) {
            Some(ImageState::Available) => {
                tag_snapshots(ctx, backup, &images[0]).await?;
                return Ok(image);
            }
            Some(ImageState::Failed) | Some(ImageState::Error) => {
                return Err(Failure::Fail(
                    Code::InternalError,
                    format!("The backup image {image} failed"),
                ))
            }
            _ => report("Saving the backup image…"),
        }
        tokio::time::sleep(ctx.poll()).await;
    }
}

/// Tags the image's snapshots as the image is, so the account's snapshots say whose they
/// are (CreateImage could tag them at creation, but not every EC2 implementation can).
async fn tag_snapshots(ctx: &Ctx<'_>, backup: &str, image: &Image) -> Step<()> {
    let snapshots: Vec<String> = snapshots(image).map(str::to_owned).collect();
    if snapshots.is_empty() {
        return Ok(());
    }
    ctx.client
        .create_tags()
        .set_resources(Some(snapshots))
        .set_tags(Some(ctx.tags(&[(TAG_BACKUP, backup)])))
        .send()
        .await
        .map_err(failure)?;
    Ok(())
}

fn snapshots(image: &Image) -> impl Iterator<Item = &str> {
    image
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()))
}

/// The AMI a start from `backup` launches.
pub async fn image_of(ctx: &Ctx<'_>, backup: &str) -> Step<String> {
    images_of(ctx, backup)
        .await?
        .iter()
        .find_map(|i| i.image_id().map(str::to_owned))
        .ok_or_else(|| {
            Failure::Fail(
                Code::AmiValidationError,
                format!("Backup {backup} has no image in EC2 (it was deleted outside the portal)"),
            )
        })
}

/// Deregisters `backup`'s images and deletes their snapshots.
pub async fn delete(ctx: &Ctx<'_>, backup: &str) -> Step<()> {
    for image in images_of(ctx, backup).await? {
        let Some(id) = image.image_id() else { continue };
        ctx.client
            .deregister_image()
            .image_id(id)
            .send()
            .await
            .map_err(failure)?;
        for snapshot in snapshots(&image) {
            ctx.client
                .delete_snapshot()
                .snapshot_id(snapshot)
                .send()
                .await
                .map_err(failure)?;
        }
        tracing::info!(
            session = ctx.session,
            backup,
            image = id,
            "backup image deleted"
        );
    }
    Ok(())
}

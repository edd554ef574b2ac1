//! The session's instances: found by their tags, launched once, started, stopped,
//! terminated, and waited on until READY (running, status checks passed, probe answered).

use super::client::{Ctx, TAG_LAUNCH, TAG_SESSION};
use super::states::{failure, is_gone, Failure, Step};
use crate::config::ec2::Probe;
use aws_sdk_ec2::types::{
    Filter, HttpTokensState, IamInstanceProfileSpecification, Instance,
    InstanceMetadataEndpointState, InstanceMetadataOptionsRequest, InstanceStateName, InstanceType,
    ResourceType, SummaryStatus,
};
use nimble_model::StreamingSessionStatusCode as Code;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// An instance as the driver needs it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub id: String,
    pub state: InstanceStateName,
    pub launch: Option<String>,
    pub public_dns: Option<String>,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    /// Why it is in its state (EC2's StateReason message), when EC2 says.
    pub reason: Option<String>,
}

impl Seen {
    fn of(instance: &Instance) -> Option<Seen> {
        let tag = |key: &str| {
            instance
                .tags()
                .iter()
                .find(|t| t.key() == Some(key))
                .and_then(|t| t.value().map(str::to_owned))
        };
        Some(Seen {
            id: instance.instance_id()?.to_owned(),
            state: instance.state()?.name()?.clone(),
            launch: tag(TAG_LAUNCH),
            public_dns: instance.public_dns_name().map(str::to_owned),
            public_ip: instance.public_ip_address().map(str::to_owned),
            private_ip: instance.private_ip_address().map(str::to_owned),
            reason: instance
                .state_reason()
                .and_then(|r| r.message().map(str::to_owned)),
        })
    }
}

/// Instances tagged with `filters`, in any state.
pub async fn described(client: &aws_sdk_ec2::Client, filters: Vec<Filter>) -> Step<Vec<Seen>> {
    let mut pages = client
        .describe_instances()
        .set_filters(Some(filters))
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(failure)?;
        for reservation in page.reservations() {
            found.extend(reservation.instances().iter().filter_map(Seen::of));
        }
    }
    Ok(found)
}

pub fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}

/// The session's instances that are not gone.
pub async fn of_session(ctx: &Ctx<'_>) -> Step<Vec<Seen>> {
    let all = described(&ctx.client, vec![tag_filter(TAG_SESSION, ctx.session)]).await?;
    Ok(all.into_iter().filter(|i| !is_gone(&i.state)).collect())
}

pub async fn one(ctx: &Ctx<'_>, id: &str) -> Step<Option<Seen>> {
    let found = described(
        &ctx.client,
        vec![Filter::builder().name("instance-id").values(id).build()],
    )
    .await?;
    Ok(found.into_iter().next())
}

/// The instance of launch `launch` (a create, a restore), launching it only if no
/// instance of the session carries that launch. Others of the session are terminated
/// first: a restore replaces the machine.
pub async fn launch(ctx: &Ctx<'_>, launch: &str, image_id: &str) -> Step<String> {
    let live = of_session(ctx).await?;
    if let Some(found) = live.iter().find(|i| i.launch.as_deref() == Some(launch)) {
        tracing::info!(session = ctx.session, instance = %found.id, "found the session's instance: not launching another");
        return Ok(found.id.clone());
    }
    let others: Vec<String> = live.into_iter().map(|i| i.id).collect();
    terminate(ctx, &others).await?;
    let mut request = ctx
        .client
        .run_instances()
        .image_id(image_id)
        .instance_type(InstanceType::from(ctx.machine.instance_type.as_str()))
        .min_count(1)
        .max_count(1)
        .client_token(client_token(ctx.session, launch))
        .set_subnet_id(ctx.settings.subnet_id.clone())
        .set_security_group_ids(
            Some(ctx.settings.security_group_ids.clone()).filter(|g| !g.is_empty()),
        )
        .set_key_name(ctx.settings.key_name.clone())
        .metadata_options(imdsv2_only())
        .tag_specifications(ctx.tag_spec(ResourceType::Instance, &[(TAG_LAUNCH, launch)]))
        .tag_specifications(ctx.tag_spec(ResourceType::Volume, &[(TAG_LAUNCH, launch)]));
    if let Some(profile) = &ctx.settings.instance_profile {
        let spec = IamInstanceProfileSpecification::builder();
        let spec = if profile.starts_with("arn:") {
            spec.arn(profile)
        } else {
            spec.name(profile)
        };
        request = request.iam_instance_profile(spec.build());
    }
    if let Some(user_data) = super::work::user_data(ctx)? {
        request = request.user_data(user_data);
    }
    let ran = request.send().await.map_err(failure)?;
    let id = ran
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .ok_or_else(|| Failure::Retry("RunInstances answered without an instance".into()))?;
    tracing::info!(session = ctx.session, instance = id, "launched");
    Ok(id.to_owned())
}

/// The instance metadata service answers only IMDSv2 requests, which need a session token
/// from a PUT: a server-side request forgery on the workstation (a GET it is tricked into
/// making) cannot read the instance role's credentials.
fn imdsv2_only() -> InstanceMetadataOptionsRequest {
    InstanceMetadataOptionsRequest::builder()
        .http_endpoint(InstanceMetadataEndpointState::Enabled)
        .http_tokens(HttpTokensState::Required)
        .build()
}

/// The same for every try of one launch of one session, and different for each launch:
/// EC2 answers a repeated RunInstances with the first one's instance.
fn client_token(session: &str, launch: &str) -> String {
    let digest = Sha256::digest(format!("{session}\n{launch}").as_bytes());
    digest.iter().take(24).map(|b| format!("{b:02x}")).collect()
}

pub async fn start(ctx: &Ctx<'_>, id: &str) -> Step<()> {
    ctx.client
        .start_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(failure)?;
    Ok(())
}

pub async fn stop(ctx: &Ctx<'_>, id: &str) -> Step<()> {
    ctx.client
        .stop_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(failure)?;
    Ok(())
}

pub async fn terminate(ctx: &Ctx<'_>, ids: &[String]) -> Step<()> {
    if ids.is_empty() {
        return Ok(());
    }
    ctx.client
        .terminate_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(failure)?;
    tracing::info!(session = ctx.session, instances = ?ids, "terminated");
    Ok(())
}

/// Waits until instance `id` is in one of `states`; fails if it is gone instead.
pub async fn wait_for(
    ctx: &Ctx<'_>,
    id: &str,
    states: &[InstanceStateName],
    report: &(dyn Fn(&str) + Sync),
) -> Step<Seen> {
    loop {
        let Some(seen) = one(ctx, id).await? else {
            return Err(Failure::Fail(
                Code::InternalError,
                format!("Instance {id} is gone"),
            ));
        };
        if states.contains(&seen.state) {
            return Ok(seen);
        }
        if is_gone(&seen.state) && !states.iter().any(is_gone) {
            let why = seen.reason.clone().unwrap_or_default();
            let code = if why.contains("InsufficientInstanceCapacity") {
                Code::InsufficientCapacity
            } else {
                Code::InternalError
            };
            return Err(Failure::Fail(
                code,
                format!("Instance {id} ended {}: {why}", seen.state.as_str()),
            ));
        }
        report(&format!("The instance is {}…", seen.state.as_str()));
        tokio::time::sleep(ctx.poll()).await;
    }
}

/// Waits until instance `id` is running, passes its status checks, and its probe answers.
pub async fn wait_ready(ctx: &Ctx<'_>, id: &str, report: &(dyn Fn(&str) + Sync)) -> Step<Seen> {
    let seen = wait_for(ctx, id, &[InstanceStateName::Running], report).await?;
    loop {
        let statuses = ctx
            .client
            .describe_instance_status()
            .instance_ids(id)
            .include_all_instances(true)
            .send()
            .await
            .map_err(failure)?;
        let ok = |s: Option<&SummaryStatus>| matches!(s, Some(SummaryStatus::Ok));
        let passed = statuses.instance_statuses().iter().any(|s| {
            ok(s.instance_status().and_then(|x| x.status()))
                && ok(s.system_status().and_then(|x| x.status()))
        });
        if passed {
            break;
        }
        report("Waiting for the instance's status checks…");
        tokio::time::sleep(ctx.poll()).await;
    }
    let machine = super::Machine {
        public_dns: seen.public_dns.clone(),
        public_ip: seen.public_ip.clone(),
        private_ip: seen.private_ip.clone(),
        ..ctx.machine.clone()
    };
    let target = match &ctx.settings.readiness_probe {
        Probe::None => return Ok(seen),
        Probe::Tcp(address) => address.clone(),
        Probe::Dcv => machine.dcv_address(&ctx.settings).ok_or_else(|| {
            Failure::Fail(
                Code::NetworkConnectionError,
                format!("Instance {id} has no address of the kind the profile's dcv_host names"),
            )
        })?,
    };
    loop {
        let attempt = tokio::net::TcpStream::connect(&target);
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(3), attempt).await {
            return Ok(seen);
        }
        report(&format!("Waiting for Amazon DCV to answer on {target}…"));
        tokio::time::sleep(ctx.poll()).await;
    }
}

//! The four actions, each idempotent from its beginning: every step first looks at what
//! EC2 has (the session's tagged instances, the backup's tagged image) and does only what
//! is missing. So an action begun again after a restart, or run again after an error
//! worth retrying, finishes the same work instead of doubling it.

use super::client::{Ctx, Shared};
use super::instances::{self, Seen};
use super::permissions::permissions_file;
use super::states::{is_gone, is_up, Failure, Step};
use super::{images, Machine};
use crate::drivers::jobs::JobHandle;
use crate::drivers::{Progress, Work};
use crate::lifecycle::DriverLink;
use aws_sdk_ec2::types::InstanceStateName as State;
use nimble_model::StreamingSessionStatusCode as Code;
use std::time::{Duration, Instant};

/// The longest pause between two tries of an action.
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

pub fn first_message(work: &Work) -> &'static str {
    match work {
        Work::Create => "Launching the EC2 instance…",
        Work::Start { restore: None } => "Starting the EC2 instance…",
        Work::Start { restore: Some(_) } => "Launching the EC2 instance from your backup…",
        Work::Stop {
            backup: Some(_), ..
        } => "Stopping the EC2 instance and saving a backup image…",
        Work::Stop { .. } => "Stopping the EC2 instance…",
        Work::Delete => "Terminating the EC2 instance…",
    }
}

/// Does `work` for `session` until it is done, fails, or runs out of the action's time.
pub async fn run(
    shared: &Shared,
    session: &str,
    work: &Work,
    link: &DriverLink,
    job: &JobHandle,
) -> Progress {
    let deadline = Instant::now() + Duration::from_millis(link.time_limit_ms.max(0) as u64);
    let Some(machine) = Machine::of(&link.state) else {
        return Progress::Failed(Code::InternalError, "The session has no EC2 state".into());
    };
    let settings = match shared.settings(&machine) {
        Ok(settings) => settings,
        Err(message) => return Progress::Failed(Code::InternalError, message),
    };
    let client = shared.client(&machine, &settings).await;
    let os_user = link
        .os_user
        .clone()
        .unwrap_or_else(|| machine.owner.clone());
    let ctx = Ctx {
        client,
        settings,
        session,
        machine,
        os_user,
        shared,
    };
    let report = |message: &str| job.report(Progress::Working(message.to_owned()));
    let mut pause = Duration::from_millis(ctx.settings.initial_backoff_ms.max(10));
    loop {
        match act(&ctx, work, &report).await {
            Ok(machine) => {
                return Progress::Done(serde_json::to_value(machine).unwrap_or_default())
            }
            Err(Failure::Fail(code, message)) => {
                tracing::warn!(session, %message, "workstation action failed");
                return Progress::Failed(code, message);
            }
            Err(Failure::Retry(message)) => {
                if Instant::now() + pause >= deadline {
                    return Progress::Failed(
                        Code::InternalError,
                        format!("EC2 did not answer in time: {message}"),
                    );
                }
                tracing::warn!(session, %message, "EC2 call failed; trying the action again");
                report(&format!("EC2 is busy ({message}); trying again…"));
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
        }
    }
}

async fn act(ctx: &Ctx<'_>, work: &Work, report: &(dyn Fn(&str) + Sync)) -> Step<Machine> {
    let previous = ctx
        .machine
        .instance_id
        .clone()
        .unwrap_or_else(|| "none".into());
    match work {
        Work::Create => {
            let image = ctx.shared.image_id(&ctx.machine)?;
            let id = instances::launch(ctx, "create", &image).await?;
            ready(ctx, &id, report).await
        }
        Work::Start {
            restore: Some(backup),
        } => {
            let image = images::image_of(ctx, backup).await?;
            let launch = format!("restore:{backup}:{previous}");
            let id = instances::launch(ctx, &launch, &image).await?;
            ready(ctx, &id, report).await
        }
        Work::Start { restore: None } => match current(ctx).await? {
            Some(seen) => {
                if seen.state == State::Stopping {
                    instances::wait_for(ctx, &seen.id, &[State::Stopped], report).await?;
                }
                if !is_up(&seen.state) {
                    instances::start(ctx, &seen.id).await?;
                }
                ready(ctx, &seen.id, report).await
            }
            // Its instance was terminated (a stop with DELETE): a new one from the image.
            None => {
                let image = ctx.shared.image_id(&ctx.machine)?;
                let id = instances::launch(ctx, &format!("relaunch:{previous}"), &image).await?;
                ready(ctx, &id, report).await
            }
        },
        Work::Stop {
            delete_files,
            backup,
            pruned,
        } => {
            if let Some(seen) = current(ctx).await? {
                if is_up(&seen.state) {
                    instances::stop(ctx, &seen.id).await?;
                }
                instances::wait_for(ctx, &seen.id, &[State::Stopped], report).await?;
                ctx.shared.seen.record(&seen.id, false);
                if let Some(backup) = backup {
                    images::back_up(ctx, backup, &seen.id, report).await?;
                }
                if *delete_files {
                    terminate(ctx, &[seen.id], report).await?;
                }
            }
            for old in pruned {
                images::delete(ctx, old).await?;
            }
            Ok(down(ctx))
        }
        Work::Delete => {
            let ids: Vec<String> = instances::of_session(ctx)
                .await?
                .into_iter()
                .map(|i| i.id)
                .collect();
            terminate(ctx, &ids, report).await?;
            Ok(down(ctx))
        }
    }
}

/// The session's instance as its state names it, unless it is gone.
async fn current(ctx: &Ctx<'_>) -> Step<Option<Seen>> {
    let Some(id) = &ctx.machine.instance_id else {
        return Ok(None);
    };
    Ok(instances::one(ctx, id)
        .await?
        .filter(|i| !is_gone(&i.state)))
}

async fn terminate(ctx: &Ctx<'_>, ids: &[String], report: &(dyn Fn(&str) + Sync)) -> Step<()> {
    instances::terminate(ctx, ids).await?;
    for id in ids {
        let gone = [State::ShuttingDown, State::Terminated];
        instances::wait_for(ctx, id, &gone, report).await?;
        ctx.shared.seen.record(id, false);
    }
    Ok(())
}

/// Waits for READY and returns the state that says which instance it is and where.
async fn ready(ctx: &Ctx<'_>, id: &str, report: &(dyn Fn(&str) + Sync)) -> Step<Machine> {
    let seen = instances::wait_ready(ctx, id, report).await?;
    ctx.shared.seen.record(id, true);
    Ok(Machine {
        instance_id: Some(id.to_owned()),
        public_dns: seen.public_dns,
        public_ip: seen.public_ip,
        private_ip: seen.private_ip,
        up: true,
        ..ctx.machine.clone()
    })
}

/// The state a stop or delete leaves: the same instance (stream tokens stay bound to it),
/// not running.
fn down(ctx: &Ctx<'_>) -> Machine {
    Machine {
        up: false,
        ..ctx.machine.clone()
    }
}

/// The profile's user-data script for this session, base64-encoded as RunInstances takes
/// it; `None` without a template. Only values the portal controls are put in: the
/// session id, the checked OS user name, the configured verifier URL, the session's
/// agent token with the address it reports to (the verifier's, at `/agent/activity`), and
/// the first DCV permissions file (`permissions.rs`: the owner's, with the clipboard as
/// the profile says), the agent's scripts and where they call.
pub fn user_data(ctx: &Ctx<'_>) -> Step<Option<String>> {
    let Some(path) = &ctx.settings.user_data_template else {
        return Ok(None);
    };
    let template = std::fs::read_to_string(path).map_err(|e| {
        Failure::Fail(
            Code::InitializationScriptError,
            format!("Cannot read the user-data template {}: {e}", path.display()),
        )
    })?;
    let verifier = ctx.settings.verifier_url.as_deref();
    let script = template
        .replace("{{session_id}}", ctx.session)
        .replace("{{os_user}}", &ctx.os_user)
        .replace(
            "{{verifier_url}}",
            ctx.settings.verifier_url.as_deref().unwrap_or(""),
        )
        .replace("{{dcv_port}}", &ctx.settings.dcv_port.to_string())
        .replace("{{region}}", &ctx.settings.region)
        .replace(
            "{{permissions}}",
            permissions_file(
                &ctx.os_user,
                ctx.shared.clipboard_enabled(&ctx.machine),
                &[],
            )
            .trim_end(),
        )
        .replace("{{agent_script}}", AGENT_SCRIPT.trim_end())
        .replace("{{permissions_script}}", PERMISSIONS_SCRIPT.trim_end())
        .replace("{{thumbnails_script}}", THUMBNAILS_SCRIPT.trim_end())
        .replace("{{agent_url}}", &agent_url(verifier, "activity"))
        .replace("{{permissions_url}}", &agent_url(verifier, "permissions"))
        .replace("{{thumbnail_url}}", &agent_url(verifier, "thumbnail"))
        .replace(
            "{{agent_token}}",
            &ctx.shared.agent_key.token_for(ctx.session),
        );
    Ok(Some(aws_smithy_types::base64::encode(script.as_bytes())))
}

/// The activity agent the user data installs (`{{agent_script}}`).
const AGENT_SCRIPT: &str = include_str!("../../../../../deploy/ec2/studio-portal-agent.sh");

/// The agent's permissions watch the user data installs (`{{permissions_script}}`).
const PERMISSIONS_SCRIPT: &str =
    include_str!("../../../../../deploy/ec2/studio-portal-permissions.sh");

/// The agent's thumbnails the user data installs (`{{thumbnails_script}}`).
const THUMBNAILS_SCRIPT: &str =
    include_str!("../../../../../deploy/ec2/studio-portal-thumbnails.sh");

/// Where the agent calls (`activity`, `permissions`): local-studio's address as instances
/// reach it, which the verifier URL names (`https://host/dcv/verify` →
/// `https://host/agent/activity`).
fn agent_url(verifier_url: Option<&str>, endpoint: &str) -> String {
    verifier_url
        .and_then(|url| url.strip_suffix("/dcv/verify"))
        .map(|base| format!("{base}/agent/{endpoint}"))
        .unwrap_or_default()
}

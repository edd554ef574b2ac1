//! moto's EC2 server (`cargo xtask setup` installs it into .tools/moto), started on a free
//! loopback port for one test and killed when the test ends, with the AMI and instance
//! profile the test's studio launches from. A missing moto fails the test with what to do.

use aws_sdk_ec2::types::InstanceStateName;
use std::io::BufRead;
use std::process::{Command, Stdio};
use test_support::ChildGuard;

pub const REGION: &str = "us-west-2";
pub const INSTANCE_PROFILE: &str = "studio-workstation";

pub struct Moto {
    _server: ChildGuard,
    pub url: String,
    pub ec2: aws_sdk_ec2::Client,
}

/// Instances as a test reads them straight from moto.
#[derive(Clone, Debug)]
pub struct Instance {
    pub id: String,
    pub state: InstanceStateName,
    pub image_id: String,
    pub instance_type: String,
    pub tags: std::collections::BTreeMap<String, String>,
    pub public_dns: String,
}

impl Moto {
    pub async fn start() -> Moto {
        let bin = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../.tools/moto/bin/moto_server"
        );
        assert!(
            std::path::Path::new(bin).exists(),
            "moto's EC2 server is not installed ({bin}): run `cargo xtask setup`"
        );
        let mut child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .env("MOTO_ENABLE_AMI_VALIDATION", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("moto_server starts");
        let stderr = child.stderr.take().unwrap();
        let guard = ChildGuard(child);
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads moto's log to the end, so its pipe never fills; the first line that names
        // the port is the address.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.split("Running on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("moto announces its address");
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        set_test_credentials();
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new(REGION))
            .endpoint_url(&url)
            .credentials_provider(aws_credential_types::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .build();
        let moto = Moto {
            _server: guard,
            ec2: aws_sdk_ec2::Client::from_conf(config),
            url,
        };
        moto.reset().await;
        moto
    }

    /// Forgets everything (POST /moto-api/reset) and makes the instance profile again.
    pub async fn reset(&self) {
        let http = reqwest::Client::new();
        let reply = http
            .post(format!("{}/moto-api/reset", self.url))
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success());
        // moto checks IamInstanceProfile against its IAM; it tells services apart by the
        // credential scope (and checks no signature).
        let reply = http
            .post(&self.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(format!(
                "Action=CreateInstanceProfile&Version=2010-05-08&InstanceProfileName={INSTANCE_PROFILE}"
            ))
            .send()
            .await
            .unwrap();
        assert!(
            reply.status().is_success(),
            "{}",
            reply.text().await.unwrap()
        );
    }

    /// Registers an AMI of our own and returns its id.
    pub async fn register_image(&self, name: &str) -> String {
        let image = self
            .ec2
            .register_image()
            .name(name)
            .root_device_name("/dev/xvda")
            .send()
            .await
            .expect("RegisterImage");
        image.image_id().unwrap().to_owned()
    }

    /// Every instance tagged with `session`, in any state.
    pub async fn instances(&self, session: &str) -> Vec<Instance> {
        let found = self
            .ec2
            .describe_instances()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:studio-portal:session")
                    .values(session)
                    .build(),
            )
            .send()
            .await
            .expect("DescribeInstances");
        found
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .map(|i| Instance {
                id: i.instance_id().unwrap().to_owned(),
                state: i.state().unwrap().name().unwrap().clone(),
                image_id: i.image_id().unwrap_or_default().to_owned(),
                instance_type: i
                    .instance_type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                tags: i
                    .tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap().to_owned(),
                            t.value().unwrap_or("").to_owned(),
                        )
                    })
                    .collect(),
                public_dns: i.public_dns_name().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// The session's instances that are not terminated (or shutting down).
    pub async fn live(&self, session: &str) -> Vec<Instance> {
        self.instances(session)
            .await
            .into_iter()
            .filter(|i| {
                !matches!(
                    i.state,
                    InstanceStateName::Terminated | InstanceStateName::ShuttingDown
                )
            })
            .collect()
    }

    /// Images tagged with backup `backup`.
    pub async fn backup_images(&self, backup: &str) -> Vec<String> {
        let found = self
            .ec2
            .describe_images()
            .owners("self")
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("tag:studio-portal:backup")
                    .values(backup)
                    .build(),
            )
            .send()
            .await
            .expect("DescribeImages");
        found
            .images()
            .iter()
            .filter_map(|i| i.image_id().map(str::to_owned))
            .collect()
    }
}

/// local-studio finds its AWS credentials with aws-config's chain, as on a real host:
/// here, the environment (moto accepts any).
pub fn set_test_credentials() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (key, value) in test_env() {
            std::env::set_var(key, value);
        }
    });
}

/// The environment a local-studio child process gets for the same.
pub fn test_env() -> [(&'static str, &'static str); 4] {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
    ]
}

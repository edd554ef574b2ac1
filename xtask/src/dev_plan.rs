//! What `cargo xtask dev` runs, as data: portal-proxy (with its embedded local-studio and
//! demo data) and `trunk serve`, whose proxy sends `/api/` on to it. `dev.rs` starts these;
//! `tests/e2e/dev_journey.rs` starts the same on free ports and clicks through the page.
//!
//! The page's origin is Trunk's (`http://127.0.0.1:PORTAL`), and Trunk's proxy sends
//! portal-proxy its own `Host`, so portal-proxy is told the page's origin
//! (`--public-origin`); without it every action from the page is refused as cross-site.

use std::path::{Path, PathBuf};

/// Where the two servers listen, on loopback.
#[derive(Clone, Copy)]
pub struct Ports {
    /// portal-proxy, which Trunk's proxy calls.
    pub proxy: u16,
    /// `trunk serve`: the address artists open.
    pub portal: u16,
}

/// `cargo xtask dev`'s ports: the ones the README and docs/ name.
pub const DEV_PORTS: Ports = Ports {
    proxy: 8080,
    portal: 8081,
};

/// Debian bookworm packages real desktops need, and a file each one installs that proves
/// it is there. Set-up installs them as root; without them the demo is simulated.
pub const DESKTOP_PACKAGES: [(&str, &str); 8] = [
    ("tigervnc-standalone-server", "/usr/bin/Xvnc"),
    ("tigervnc-tools", "/usr/bin/tigervncpasswd"),
    ("openbox", "/usr/bin/openbox"),
    ("xterm", "/usr/bin/xterm"),
    ("x11-utils", "/usr/bin/xprop"),
    ("xauth", "/usr/bin/xauth"),
    (
        "fonts-dejavu-core",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ),
    (
        "xfonts-base",
        "/usr/share/fonts/X11/misc/10x20-ISO8859-1.pcf.gz",
    ),
];

/// The desktop packages this machine lacks.
pub fn missing_desktop_packages() -> Vec<&'static str> {
    DESKTOP_PACKAGES
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect()
}

/// What the demo's workstations are.
pub enum DemoDesktops {
    Real(RealDesktops),
    /// Simulated, and what the user is told: which packages are missing and how to get them.
    Simulated {
        why: String,
    },
}

/// Real desktops when no package is `missing`; otherwise the simulated demo, which needs
/// neither root nor packages, and says so.
pub fn demo_desktops(missing: &[&str], real: RealDesktops) -> DemoDesktops {
    if missing.is_empty() {
        return DemoDesktops::Real(real);
    }
    DemoDesktops::Simulated {
        why: format!(
            "the demo's workstations are simulated (Connect opens a page that says so): real \
             desktops need {}. As root, run `cargo xtask setup`, or apt-get install -y {}",
            missing.join(", "),
            missing.join(" ")
        ),
    }
}

/// Real desktops for the demo's workstations.
pub struct RealDesktops {
    /// Where desktops keep their state and sockets (a short path: a socket path must fit
    /// in 107 bytes).
    pub dir: PathBuf,
    /// The built noVNC viewer (`.tools/desktop-viewer`).
    pub viewer: PathBuf,
    /// The server runs as root: the demo maps no artists to OS users, so its desktops
    /// would run as root, which local-studio refuses unless told this is a single-user host.
    pub as_root: bool,
}

impl Ports {
    /// The address the page is opened at.
    pub fn portal_origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.portal)
    }
}

/// portal-proxy's arguments: dev sign-in as alice, the embedded demo, the page's origin,
/// and real desktops when there are.
pub fn proxy_args(ports: Ports, desktops: &DemoDesktops) -> Vec<String> {
    let mut args: Vec<String> = [
        "--listen",
        &format!("127.0.0.1:{}", ports.proxy),
        "--upstream",
        "embedded",
        "--auth",
        "dev:alice",
        "--public-origin",
        &ports.portal_origin(),
    ]
    .map(str::to_owned)
    .into();
    if let DemoDesktops::Real(desktops) = desktops {
        args.extend([
            "--desktops-dir".to_owned(),
            path(&desktops.dir),
            "--viewer-dir".to_owned(),
            path(&desktops.viewer),
        ]);
        if desktops.as_root {
            args.push("--single-user-desktops-as-root".to_owned());
        }
    }
    args
}

/// `trunk serve`'s arguments: a debug build into `dist` (not the release dist/), served on
/// the portal port, with `/api/` proxied to portal-proxy.
pub fn trunk_args(ports: Ports, dist: &Path) -> Vec<String> {
    [
        "serve",
        "--address",
        "127.0.0.1",
        "--port",
        &ports.portal.to_string(),
        "--dist",
        &path(dist),
        "--proxy-backend",
        &format!("http://127.0.0.1:{}/api/", ports.proxy),
    ]
    .map(str::to_owned)
    .into()
}

fn path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_is_told_the_pages_origin_and_trunk_proxies_to_the_proxy() {
        let ports = Ports {
            proxy: 9001,
            portal: 9002,
        };
        let simulated = DemoDesktops::Simulated { why: String::new() };
        let proxy = proxy_args(ports, &simulated).join(" ");
        assert!(
            proxy.contains("--public-origin http://127.0.0.1:9002"),
            "{proxy}"
        );
        assert!(proxy.contains("--listen 127.0.0.1:9001"), "{proxy}");
        assert!(!proxy.contains("--desktops-dir"), "{proxy}");
        let trunk = trunk_args(ports, Path::new("/d")).join(" ");
        assert!(trunk.contains("--port 9002"), "{trunk}");
        assert!(
            trunk.contains("--proxy-backend http://127.0.0.1:9001/api/"),
            "{trunk}"
        );
    }

    #[test]
    fn only_a_root_server_is_told_its_desktops_may_run_as_root() {
        let ports = DEV_PORTS;
        let desktops = |as_root| {
            DemoDesktops::Real(RealDesktops {
                dir: "/tmp/d".into(),
                viewer: "/v".into(),
                as_root,
            })
        };
        let args = proxy_args(ports, &desktops(false)).join(" ");
        assert!(
            args.contains("--desktops-dir /tmp/d --viewer-dir /v"),
            "{args}"
        );
        assert!(!args.contains("as-root"), "{args}");
        let args = proxy_args(ports, &desktops(true)).join(" ");
        assert!(args.ends_with("--single-user-desktops-as-root"), "{args}");
    }

    #[test]
    fn without_the_desktop_packages_the_demo_is_simulated_and_says_what_to_install() {
        let real = || RealDesktops {
            dir: "/tmp/d".into(),
            viewer: "/v".into(),
            as_root: false,
        };
        assert!(matches!(demo_desktops(&[], real()), DemoDesktops::Real(_)));
        let plan = demo_desktops(&["tigervnc-standalone-server", "openbox"], real());
        let DemoDesktops::Simulated { why } = &plan else {
            panic!("real desktops without their packages");
        };
        assert!(why.contains("`cargo xtask setup`"), "{why}");
        assert!(
            why.contains("apt-get install -y tigervnc-standalone-server openbox"),
            "{why}"
        );
        let args = proxy_args(DEV_PORTS, &plan).join(" ");
        assert!(!args.contains("--desktops-dir"), "{args}");
    }
}

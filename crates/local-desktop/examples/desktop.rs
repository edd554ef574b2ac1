//! Starts, shows and stops one desktop from the command line, for trying the viewer or a
//! bridge by hand. The desktop outlives this program; `stop` ends it.
//!
//! ```sh
//! cargo run -p local-desktop --example desktop -- launch /tmp/desktops ss-try   # prints the Desktop as JSON
//! cargo run -p local-desktop --example desktop -- find   /tmp/desktops ss-try
//! cargo run -p local-desktop --example desktop -- stop   /tmp/desktops ss-try
//! ```

use local_desktop::{Desktops, DesktopsConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [action, root, session] = args.as_slice() else {
        return Err("usage: desktop <launch|find|stop> ROOT SESSION".into());
    };
    let desktops = Desktops::new(DesktopsConfig::new(root))?;
    match action.as_str() {
        "launch" => println!(
            "{}",
            serde_json::to_string_pretty(&desktops.launch(session)?)?
        ),
        "find" => println!("{}", serde_json::to_string_pretty(&desktops.find(session))?),
        "stop" => desktops.stop(session)?,
        other => return Err(format!("unknown action {other:?}").into()),
    }
    Ok(())
}

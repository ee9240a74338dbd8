//! Headless Chromium for browser tests, driven over WebDriver (`chromedriver` +
//! `fantoccini`).
//!
//! [`Browser::start`] spawns `chromedriver` on a free loopback port, in its own
//! process group, and opens a session on Debian's Chromium with the flags this
//! closed network needs (no background networking, no component updates, a new
//! empty profile). Dropping the [`Browser`] kills chromedriver and the browsers it
//! started; [`Browser::close`] ends the session politely first.
//!
//! Chromium and chromedriver come from the distribution (`bash .ci/services`
//! installs them). With `CI=true` a missing one fails the test; locally the test is
//! skipped with a message saying so. `CHROMIUM` and `CHROMEDRIVER` name other
//! binaries.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::{Value, json};

/// The flags Chromium needs here: headless, as root (no sandbox), and nothing that
/// reaches for the network on its own (which hangs or floods the closed network).
pub const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A headless Chromium session and the chromedriver that runs it.
pub struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The first of `names` found on `PATH`, or the file the environment variable `env`
/// names (`None` when that is not a file).
fn find_binary(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A loopback port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))
        .context("cannot find a free loopback port")?;
    Ok(listener.local_addr()?.port())
}

impl Browser {
    /// A new session in a fresh headless Chromium of `width` x `height` pixels, or
    /// `None` (with a message) when Chromium or chromedriver is not installed and
    /// this is not CI.
    ///
    /// # Panics
    /// With `CI=true`, when either binary is missing or the session cannot start.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let chromium = find_binary("CHROMIUM", &["chromium", "chromium-browser"]);
        let driver = find_binary("CHROMEDRIVER", &["chromedriver"]);
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            let message = "Chromium or chromedriver not found (install them with \
                           `bash .ci/services`, or set CHROMIUM and CHROMEDRIVER)";
            assert!(!in_ci(), "{message}");
            eprintln!("browser tests skipped: {message}");
            return None;
        };
        match Browser::launch(&chromium, &driver, width, height).await {
            Ok(browser) => Some(browser),
            Err(e) => panic!("cannot start headless Chromium: {e:#}"),
        }
    }

    async fn launch(
        chromium: &Path,
        driver: &Path,
        width: u32,
        height: u32,
    ) -> anyhow::Result<Browser> {
        let port = free_port()?;
        let mut command = Command::new(driver);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .with_context(|| format!("cannot run {}", driver.display()))?;
        let profile = tempfile::tempdir().context("cannot make a browser profile folder")?;
        let mut browser = Browser {
            client: None,
            driver: child,
            _profile: profile,
        };
        browser.wait_for_driver(port)?;

        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!(
            "--user-data-dir={}",
            browser._profile.path().display()
        ));
        args.push(format!("--window-size={width},{height}"));
        args.push("--hide-scrollbars".to_owned());
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            bail!("capabilities are not an object");
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("cannot open a WebDriver session")?;
        client
            .set_window_size(width, height)
            .await
            .context("cannot size the window")?;
        browser.client = Some(client);
        Ok(browser)
    }

    /// Waits up to 20 s for chromedriver to listen on `port`.
    fn wait_for_driver(&mut self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into();
        while Instant::now() < deadline {
            if let Some(status) = self.driver.try_wait()? {
                bail!("chromedriver exited early with {status}");
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("chromedriver did not listen on port {port} within 20 s")
    }

    /// The WebDriver client, for what the helpers here do not cover.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("a started browser has a session"))
    }

    /// Loads `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.client()
            .goto(url)
            .await
            .with_context(|| format!("cannot open {url}"))
    }

    /// The first element matching the CSS `selector`.
    pub async fn find(&self, selector: &str) -> anyhow::Result<Element> {
        self.client()
            .find(Locator::Css(selector))
            .await
            .with_context(|| format!("no element matches `{selector}`"))
    }

    /// Every element matching the CSS `selector`.
    pub async fn find_all(&self, selector: &str) -> anyhow::Result<Vec<Element>> {
        self.client()
            .find_all(Locator::Css(selector))
            .await
            .with_context(|| format!("cannot look for `{selector}`"))
    }

    /// Clicks the first element matching `selector`.
    pub async fn click(&self, selector: &str) -> anyhow::Result<()> {
        self.find(selector)
            .await?
            .click()
            .await
            .with_context(|| format!("cannot click `{selector}`"))
    }

    /// The visible text of the first element matching `selector`.
    pub async fn text(&self, selector: &str) -> anyhow::Result<String> {
        self.find(selector)
            .await?
            .text()
            .await
            .with_context(|| format!("cannot read the text of `{selector}`"))
    }

    /// The computed CSS `property` of the first element matching `selector`, e.g.
    /// `rgb(218, 251, 225)` for `background-color`.
    pub async fn css(&self, selector: &str, property: &str) -> anyhow::Result<String> {
        self.find(selector)
            .await?
            .css_value(property)
            .await
            .with_context(|| format!("cannot read `{property}` of `{selector}`"))
    }

    /// Runs `script` in the page and returns its value.
    pub async fn execute(&self, script: &str) -> anyhow::Result<Value> {
        self.client()
            .execute(script, Vec::new())
            .await
            .context("the script failed in the page")
    }

    /// A PNG of the whole page: the window is first resized to the page's height
    /// (at most `max_height` pixels).
    pub async fn screenshot_page(&self, width: u32, max_height: u32) -> anyhow::Result<Vec<u8>> {
        let sizes = self
            .execute(
                "return [document.documentElement.scrollHeight, \
                 window.outerHeight - window.innerHeight];",
            )
            .await?;
        let number = |i: usize| sizes.get(i).and_then(Value::as_u64).unwrap_or(0);
        let height = u32::try_from(number(0) + number(1))
            .unwrap_or(max_height)
            .clamp(200, max_height);
        self.client().set_window_size(width, height).await?;
        self.client()
            .screenshot()
            .await
            .context("cannot take a screenshot")
    }

    /// Runs the Chrome DevTools Protocol command `method` with `params` (through
    /// chromedriver's `goog/cdp/execute`), e.g. to emulate a media feature.
    pub async fn devtools(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.client()
            .issue_cmd(DevTools {
                body: json!({ "cmd": method, "params": params }),
            })
            .await
            .with_context(|| format!("DevTools command {method} failed"))
    }

    /// Makes the page see `prefers-color-scheme: dark` (or light) from now on.
    pub async fn emulate_colour_scheme(&self, dark: bool) -> anyhow::Result<()> {
        let value = if dark { "dark" } else { "light" };
        self.devtools(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await
        .map(drop)
    }

    /// Ends the session (closing Chromium), then stops chromedriver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        if let Some(client) = self.client.take() {
            client.close().await.context("cannot end the session")?;
        }
        Ok(())
    }
}

impl Drop for Browser {
    /// Stops chromedriver and every browser process it started (its process group).
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            let group = format!("-{}", self.driver.id());
            let _ = Command::new("kill")
                .args(["-KILL", "--", &group])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's DevTools pass-through: `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct DevTools {
    body: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Whether `rgb` (a computed CSS colour, `rgb(r, g, b)` or `rgba(r, g, b, a)`) is
/// mostly `channel`: `'r'`, `'g'`, `'y'` for amber (red and green over blue), or
/// `'d'` for dark (a background of a dark colour scheme).
pub fn colour_is(rgb: &str, channel: char) -> bool {
    let numbers: Vec<f64> = rgb
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let [r, g, b, ..] = numbers[..] else {
        return false;
    };
    match channel {
        'd' => r + g + b < 3.0 * 60.0,
        'r' => r > g + 10.0 && r > b + 10.0,
        'g' => g > r + 10.0 && g > b + 10.0,
        'y' => r > b + 40.0 && g > b + 40.0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::colour_is;

    #[test]
    fn colours_are_told_apart() {
        assert!(colour_is("rgb(218, 251, 225)", 'g'));
        assert!(colour_is("rgba(255, 235, 233, 1)", 'r'));
        assert!(colour_is("rgb(255, 248, 197)", 'y'));
        assert!(!colour_is("rgb(255, 255, 255)", 'g'));
        assert!(!colour_is("rgb(255, 255, 255)", 'y'));
        assert!(!colour_is("transparent", 'r'));
        assert!(colour_is("rgb(13, 17, 23)", 'd'));
        assert!(!colour_is("rgb(255, 255, 255)", 'd'));
    }
}

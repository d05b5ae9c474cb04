//! A browser stand-in: ureq with its cookie jar, redirects not followed (the
//! tests look at each 303), and the demo page's fields picked out.

use std::time::Duration;

/// The demo's cookie name (the library's default).
pub const COOKIE: &str = "session_id";

/// One client with its own cookie jar.
pub struct Browser {
    agent: ureq::Agent,
    base: String,
}

/// A response, read to the end.
#[derive(Debug, Clone)]
pub struct Page {
    /// Status code.
    pub status: u16,
    /// `Location` header.
    pub location: Option<String>,
    /// Every `Set-Cookie` header.
    pub set_cookies: Vec<String>,
    /// `Retry-After` header.
    pub retry_after: Option<String>,
    /// The body.
    pub body: String,
}

impl Browser {
    /// A browser with an empty jar for the demo at `base`.
    pub fn new(base: &str) -> Browser {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(30))
            .build();
        Browser {
            agent,
            base: base.to_owned(),
        }
    }

    /// `GET path`, with the jar's cookies.
    pub fn get(&self, path: &str) -> Page {
        self.get_with(path, &[])
    }

    /// `GET path` with extra request headers (e.g. a hand-made `Cookie`
    /// from a browser whose jar is empty).
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.agent.get(&format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        read(request.call()).unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }

    /// `POST path` with a form body, with the jar's cookies.
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.try_post(path, form)
            .unwrap_or_else(|error| panic!("POST {path}: {error}"))
    }

    /// `GET path`, or why no answer came (for load, where failures are
    /// counted rather than fatal).
    pub fn try_get(&self, path: &str) -> Result<Page, String> {
        read(self.agent.get(&format!("{}{path}", self.base)).call())
    }

    /// `POST path` with a form body, or why no answer came.
    pub fn try_post(&self, path: &str, form: &[(&str, &str)]) -> Result<Page, String> {
        read(
            self.agent
                .post(&format!("{}{path}", self.base))
                .send_form(form),
        )
    }

    /// `GET /`, asserting a 200 page.
    pub fn home(&self) -> Page {
        let page = self.get("/");
        assert_eq!(page.status, 200, "GET /: {page:?}");
        page
    }

    /// `POST path` with the form plus the CSRF token of a fresh home page,
    /// asserting the 303 back to `/`; returns the redirect.
    pub fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let token = self.home().csrf_token();
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        let page = self.post(path, &fields);
        assert_eq!(page.status, 303, "POST {path}: {page:?}");
        // The query carries the post's store calls to the next page's panel.
        let location = page.location.as_deref().unwrap_or_default();
        assert!(location.starts_with("/?posted="), "{location}");
        page
    }
}

fn read(result: Result<ureq::Response, ureq::Error>) -> Result<Page, String> {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => return Err(format!("request failed: {error}")),
    };
    Ok(Page {
        status: response.status(),
        location: response.header("Location").map(str::to_owned),
        retry_after: response.header("Retry-After").map(str::to_owned),
        set_cookies: response
            .all("Set-Cookie")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        body: response
            .into_string()
            .map_err(|error| format!("could not read the body: {error}"))?,
    })
}

impl Page {
    /// The only `Set-Cookie` of the session cookie; panics unless there is
    /// exactly one.
    pub fn session_set_cookie(&self) -> &str {
        let ours: Vec<&String> = self
            .set_cookies
            .iter()
            .filter(|cookie| cookie.starts_with(&format!("{COOKIE}=")))
            .collect();
        assert_eq!(ours.len(), 1, "one session Set-Cookie expected: {self:?}");
        ours[0]
    }

    /// Whether the response sets no cookie.
    pub fn sets_no_cookie(&self) -> bool {
        self.set_cookies.is_empty()
    }

    /// The `name=value` pair of the session `Set-Cookie`, ready to send
    /// back as a `Cookie` header.
    pub fn session_cookie(&self) -> String {
        let cookie = self.session_set_cookie();
        cookie.split(';').next().unwrap_or(cookie).trim().to_owned()
    }

    /// The attributes of the session `Set-Cookie`, as written.
    pub fn session_cookie_attributes(&self) -> Vec<String> {
        self.session_set_cookie()
            .split(';')
            .skip(1)
            .map(|attribute| attribute.trim().to_owned())
            .collect()
    }

    /// The visit count shown.
    pub fn visits(&self) -> u64 {
        self.find_visits()
            .unwrap_or_else(|| panic!("no visit count in the page: {}", self.body))
    }

    /// The visit count shown, if the page shows one.
    pub fn find_visits(&self) -> Option<u64> {
        self.find_between(r#"<p id="visits">Visits: "#, "</p>")?
            .parse()
            .ok()
    }

    /// The user shown as logged in, if any.
    pub fn user(&self) -> Option<String> {
        let line = self.between(r#"<p id="user">"#, "</p>");
        line.strip_prefix("Logged in as ").map(str::to_owned)
    }

    /// The flash messages shown.
    pub fn flashes(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = self.body.as_str();
        let open = r#"<p class="flash">"#;
        while let Some(start) = rest.find(open) {
            rest = &rest[start + open.len()..];
            let end = rest.find("</p>").expect("a closed flash");
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
        found
    }

    /// The CSRF token of the page's forms.
    pub fn csrf_token(&self) -> String {
        let token = self.between(r#"name="csrf_token" value=""#, "\"");
        assert_eq!(token.len(), 64, "a CSRF token: {token}");
        token.to_owned()
    }

    /// The CSRF token of the page's forms, if it has any.
    pub fn find_csrf_token(&self) -> Option<String> {
        self.find_between(r#"name="csrf_token" value=""#, "\"")
            .map(str::to_owned)
    }

    fn find_between(&self, start: &str, end: &str) -> Option<&str> {
        let from = self.body.find(start)? + start.len();
        let to = self.body[from..].find(end)? + from;
        Some(&self.body[from..to])
    }

    fn between(&self, start: &str, end: &str) -> &str {
        let from = self
            .body
            .find(start)
            .unwrap_or_else(|| panic!("{start:?} not in the page: {}", self.body))
            + start.len();
        let to = self.body[from..].find(end).expect("the end marker") + from;
        &self.body[from..to]
    }
}
